/**
 * The RDS SDK adapter against moto's RDS (the query API, XML answers, AWS's error codes),
 * so what is tested is the real SDK client's requests and parsing, not a fake `send`.
 * moto simplifies RDS (README "Stand-ins"): no real endpoints answer, and it accepts any
 * password; the recorder shows what the adapter sent.
 */
import {
  CreateDBClusterCommand,
  CreateDBInstanceCommand,
  CreateDBInstanceReadReplicaCommand,
  RDSClient,
} from '@aws-sdk/client-rds';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSdkRdsPort } from '../../../functions/postgres/sdk-rds-port.ts';
import type { RdsPort } from '../../../functions/postgres/rds-port.ts';
import { ErrorCode, RotationError } from '../../../shared/errors.ts';
import { Sensitive } from '../../../shared/sensitive.ts';
import {
  motoUnavailableReason,
  startMotoServer,
  type MotoServer,
} from '../../../scripts/testbed/moto-server.ts';

const unavailable = motoUnavailableReason();
const PASSWORD = 'Initial-Master-Pw-1';

describe.skipIf(unavailable !== undefined)(
  `createSdkRdsPort against moto's RDS${unavailable ? ` (skipped: ${unavailable})` : ''}`,
  () => {
    let moto: MotoServer;
    let client: RDSClient;
    let port: RdsPort;

    beforeAll(async () => {
      moto = await startMotoServer();
      client = new RDSClient({
        endpoint: moto.endpoint,
        region: 'us-east-1',
        credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
        maxAttempts: 1,
      });
      port = createSdkRdsPort(client);
      const instance = {
        DBInstanceClass: 'db.t3.micro',
        Engine: 'postgres',
        MasterUsername: 'postgres',
        MasterUserPassword: PASSWORD,
        AllocatedStorage: 20,
      };
      await client.send(new CreateDBInstanceCommand({ DBInstanceIdentifier: 'prod', ...instance }));
      await client.send(
        new CreateDBInstanceReadReplicaCommand({
          DBInstanceIdentifier: 'prod-replica',
          SourceDBInstanceIdentifier: 'prod',
        }),
      );
      await client.send(
        new CreateDBClusterCommand({
          DBClusterIdentifier: 'aur',
          Engine: 'aurora-postgresql',
          MasterUsername: 'postgres',
          MasterUserPassword: PASSWORD,
        }),
      );
      for (const member of ['aur-1', 'aur-2']) {
        await client.send(
          new CreateDBInstanceCommand({
            DBInstanceIdentifier: member,
            DBClusterIdentifier: 'aur',
            DBInstanceClass: 'db.r6g.large',
            Engine: 'aurora-postgresql',
          }),
        );
      }
    }, 120_000);
    afterAll(async () => {
      client?.destroy();
      await moto?.destroy();
    });

    it('reads an instance: engine, endpoint, master user and status', async () => {
      const prod = await port.describeDbInstance('prod');
      expect(prod).toMatchObject({
        identifier: 'prod',
        engine: 'postgres',
        masterUsername: 'postgres',
        readReplicaSourceIdentifier: undefined,
        clusterIdentifier: undefined,
        status: 'available',
      });
      expect(prod?.endpoint?.host).toMatch(/^prod\./);
      expect(prod?.endpoint?.port).toBe(5432);
    });

    it('reads a read replica with its source, and a cluster member with its cluster', async () => {
      expect(await port.describeDbInstance('prod-replica')).toMatchObject({
        identifier: 'prod-replica',
        readReplicaSourceIdentifier: 'prod',
      });
      expect(await port.describeDbInstance('aur-2')).toMatchObject({ clusterIdentifier: 'aur' });
    });

    it('reads a cluster: writer and reader endpoints and its members', async () => {
      const cluster = await port.describeDbCluster('aur');
      expect(cluster).toMatchObject({
        identifier: 'aur',
        engine: 'aurora-postgresql',
        masterUsername: 'postgres',
      });
      expect(cluster?.endpoint?.host).toMatch(/^aur\.cluster-/);
      expect(cluster?.readerEndpoint).toMatch(/^aur\.cluster-ro-/);
      expect(cluster?.members.map((member) => member.instanceIdentifier).sort()).toEqual(['aur-1', 'aur-2']);
      expect(cluster?.members.filter((member) => member.isWriter)).toHaveLength(1);
    });

    it('answers undefined for an instance or a cluster that does not exist (DBInstanceNotFound / DBClusterNotFoundFault)', async () => {
      expect(await port.describeDbInstance('nope')).toBeUndefined();
      expect(await port.describeDbCluster('nope')).toBeUndefined();
    });

    it('resets the master password with ModifyDBInstance / ModifyDBCluster, applied immediately', async () => {
      await moto.startRecording();
      await port.resetMasterPassword(
        { kind: 'instance', identifier: 'prod' },
        new Sensitive('Break-Glass-Pw-2'),
      );
      await port.resetMasterPassword(
        { kind: 'cluster', identifier: 'aur' },
        new Sensitive('Break-Glass-Pw-3'),
      );
      const sent = (await moto.stopRecording()).map((request) => Object.fromEntries(request.params));
      expect(sent).toEqual([
        expect.objectContaining({
          Action: 'ModifyDBInstance',
          DBInstanceIdentifier: 'prod',
          MasterUserPassword: 'Break-Glass-Pw-2',
          ApplyImmediately: 'true',
        }),
        expect.objectContaining({
          Action: 'ModifyDBCluster',
          DBClusterIdentifier: 'aur',
          MasterUserPassword: 'Break-Glass-Pw-3',
          ApplyImmediately: 'true',
        }),
      ]);
    });

    it('turns a refused reset into ERR_AWS_API naming the operation and AWS error, never the password', async () => {
      const error = await port
        .resetMasterPassword({ kind: 'instance', identifier: 'nope' }, new Sensitive('Break-Glass-Pw-4'))
        .then(
          () => undefined,
          (thrown: unknown) => thrown,
        );
      expect(error).toBeInstanceOf(RotationError);
      expect((error as RotationError).code).toBe(ErrorCode.ERR_AWS_API);
      expect((error as RotationError).message).toBe(
        'RDS ModifyDBInstance failed with DBInstanceNotFoundFault for nope',
      );
      expect(
        JSON.stringify({ message: (error as Error).message, details: (error as RotationError).details }),
      ).not.toContain('Break-Glass-Pw-4');
    });
  },
);
