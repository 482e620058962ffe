import { describe, expect, it } from 'vitest';
import { ErrorCode, RotationError } from '../../../shared/errors.ts';
import type { SecretsPort } from '../../../shared/secrets-port.ts';
import { Sensitive } from '../../../shared/sensitive.ts';
import { resolveAdminLogin } from '../../../functions/postgres/admin-secret.ts';
import { parsePostgresSecret } from '../../../functions/postgres/postgres-secret.ts';
import type { RdsCluster, RdsInstance, RdsPort } from '../../../functions/postgres/rds-port.ts';

const ADMIN_ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:admin-AbCdEf';

function secretsWith(value: object | string | undefined, tags: Record<string, string> = {}): SecretsPort {
  const unused = async (): Promise<never> => {
    throw new Error('not used');
  };
  return {
    describeSecret: async (id) => ({ ARN: id, Name: 'admin', VersionIdsToStages: {}, Tags: tags }),
    getSecretValue: async (input) =>
      value === undefined || input.SecretId !== ADMIN_ARN
        ? undefined
        : {
            ARN: ADMIN_ARN,
            VersionId: 'a1',
            VersionStages: ['AWSCURRENT'],
            SecretString: new Sensitive(typeof value === 'string' ? value : JSON.stringify(value)),
          },
    putSecretValue: unused,
    updateSecretVersionStage: unused,
    listSecretVersionIds: unused,
    getRandomPassword: unused,
    tagResource: unused,
    untagResource: unused,
  };
}

function fakeRds(
  instances: Partial<RdsInstance>[],
  clusters: Partial<RdsCluster>[] = [],
): RdsPort & { calls: string[] } {
  const calls: string[] = [];
  const instance = (i: Partial<RdsInstance>): RdsInstance => ({
    identifier: '',
    engine: 'postgres',
    endpoint: undefined,
    masterUsername: 'postgres',
    readReplicaSourceIdentifier: undefined,
    clusterIdentifier: undefined,
    status: 'available',
    ...i,
  });
  const cluster = (c: Partial<RdsCluster>): RdsCluster => ({
    identifier: '',
    engine: 'aurora-postgresql',
    endpoint: undefined,
    readerEndpoint: undefined,
    masterUsername: 'postgres',
    members: [],
    status: 'available',
    ...c,
  });
  return {
    calls,
    describeDbInstance: async (id) => {
      calls.push(`DescribeDBInstances:${id}`);
      const found = instances.find((i) => i.identifier === id);
      return found ? instance(found) : undefined;
    },
    describeDbCluster: async (id) => {
      calls.push(`DescribeDBClusters:${id}`);
      const found = clusters.find((c) => c.identifier === id);
      return found ? cluster(found) : undefined;
    },
    resetMasterPassword: async () => {
      throw new Error('not used');
    },
  };
}

const user = (host: string, extra: object = {}) =>
  parsePostgresSecret(
    new Sensitive(
      JSON.stringify({
        host,
        username: 'app',
        password: 'user-Pw',
        dbname: 'orders',
        masterarn: ADMIN_ARN,
        ...extra,
      }),
    ),
    { versionId: 'v', stage: 'AWSCURRENT' },
  );

async function codeOf(promise: Promise<unknown>): Promise<string | undefined> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(RotationError);
    expect((error as RotationError).message).not.toContain('admin-Pw');
    return (error as RotationError).code;
  }
  return undefined;
}

const PRIMARY = 'prod.abc123.us-east-1.rds.amazonaws.com';
const REPLICA = 'prod-replica.abc123.us-east-1.rds.amazonaws.com';

describe('resolveAdminLogin', () => {
  it("uses a full admin secret on the user's host, in the user's database", async () => {
    const rds = fakeRds([]);
    const login = await resolveAdminLogin(user('db.internal'), {
      secrets: secretsWith({
        host: 'DB.internal',
        username: 'root',
        password: 'admin-Pw',
        dbname: 'postgres',
      }),
      rds: () => rds,
    });
    expect(login).toMatchObject({
      host: 'DB.internal',
      username: 'root',
      database: 'orders',
      rdsManaged: false,
    });
    expect(rds.calls).toEqual([]);
  });

  it('resolves an RDS-managed master secret (only username and password) through its instance tag', async () => {
    const rds = fakeRds([{ identifier: 'prod', endpoint: { host: PRIMARY, port: 5433 } }]);
    const secrets = secretsWith(
      { username: 'postgres', password: 'admin-Pw' },
      { 'aws:rds:primaryDBInstanceArn': 'arn:aws:rds:us-east-1:123456789012:db:prod' },
    );
    const login = await resolveAdminLogin(user(PRIMARY), { secrets, rds: () => rds });
    expect(login).toMatchObject({
      host: PRIMARY,
      port: 5433,
      username: 'postgres',
      database: 'orders',
      rdsManaged: true,
    });
  });

  it('refuses the RDS-managed shape with a key given twice (JSON readers disagree on which counts)', async () => {
    const rds = fakeRds([{ identifier: 'prod', endpoint: { host: PRIMARY, port: 5433 } }]);
    const secrets = secretsWith('{"username":"postgres","password":"admin-Pw","password":"admin-Pw2"}', {
      'aws:rds:primaryDBInstanceArn': 'arn:aws:rds:us-east-1:123456789012:db:prod',
    });
    expect(await codeOf(resolveAdminLogin(user(PRIMARY), { secrets, rds: () => rds }))).toBe(
      ErrorCode.ERR_ADMIN_SECRET_INVALID,
    );
    expect(rds.calls).toEqual([]);
  });

  it('resolves an RDS-managed master secret through its cluster tag', async () => {
    const rds = fakeRds(
      [],
      [{ identifier: 'aur', endpoint: { host: 'aur.cluster-abc.us-east-1.rds.amazonaws.com', port: 5432 } }],
    );
    const secrets = secretsWith(
      { username: 'postgres', password: 'admin-Pw' },
      { 'aws:rds:primarydbclusterarn': 'arn:aws:rds:us-east-1:123456789012:cluster:aur' },
    );
    const login = await resolveAdminLogin(user('aur.cluster-abc.us-east-1.rds.amazonaws.com'), {
      secrets,
      rds: () => rds,
    });
    expect(login.host).toBe('aur.cluster-abc.us-east-1.rds.amazonaws.com');
  });

  it('accepts a user whose host is a read replica of the admin instance', async () => {
    const rds = fakeRds([{ identifier: 'prod-replica', readReplicaSourceIdentifier: 'prod' }]);
    const login = await resolveAdminLogin(user(REPLICA), {
      secrets: secretsWith({ host: PRIMARY, username: 'root', password: 'admin-Pw' }),
      rds: () => rds,
    });
    expect(login.host).toBe(PRIMARY);
    expect(rds.calls).toEqual(['DescribeDBInstances:prod-replica']);
  });

  it('accepts an Aurora reader endpoint and a reader member, refuses the writer of another cluster', async () => {
    const writer = 'aur.cluster-abc.us-east-1.rds.amazonaws.com';
    const rds = fakeRds(
      [],
      [
        {
          identifier: 'aur',
          readerEndpoint: 'aur.cluster-ro-abc.us-east-1.rds.amazonaws.com',
          members: [
            { instanceIdentifier: 'aur-1', isWriter: true },
            { instanceIdentifier: 'aur-2', isWriter: false },
          ],
        },
      ],
    );
    const secrets = secretsWith({
      engine: 'aurora-postgresql',
      host: writer,
      username: 'root',
      password: 'admin-Pw',
    });
    await expect(
      resolveAdminLogin(user('aur.cluster-ro-abc.us-east-1.rds.amazonaws.com'), { secrets, rds: () => rds }),
    ).resolves.toMatchObject({ host: writer });
    await expect(
      resolveAdminLogin(user('aur-2.abc.us-east-1.rds.amazonaws.com'), { secrets, rds: () => rds }),
    ).resolves.toMatchObject({ host: writer });
    expect(
      await codeOf(
        resolveAdminLogin(user('aur-1.abc.us-east-1.rds.amazonaws.com'), { secrets, rds: () => rds }),
      ),
    ).toBe(ErrorCode.ERR_ADMIN_SECRET_INVALID);
  });

  it('refuses a replica of another instance', async () => {
    const rds = fakeRds([{ identifier: 'prod-replica', readReplicaSourceIdentifier: 'staging' }]);
    expect(
      await codeOf(
        resolveAdminLogin(user(REPLICA), {
          secrets: secretsWith({ host: PRIMARY, username: 'root', password: 'admin-Pw' }),
          rds: () => rds,
        }),
      ),
    ).toBe(ErrorCode.ERR_ADMIN_SECRET_INVALID);
  });

  it('never asks RDS about hosts that are not RDS endpoints', async () => {
    const rds = fakeRds([]);
    expect(
      await codeOf(
        resolveAdminLogin(user('db-a.internal'), {
          secrets: secretsWith({ host: 'db-b.internal', username: 'root', password: 'admin-Pw' }),
          rds: () => rds,
        }),
      ),
    ).toBe(ErrorCode.ERR_ADMIN_SECRET_INVALID);
    expect(rds.calls).toEqual([]);
  });

  it.each([
    ['missing', undefined, {}],
    ['malformed', { host: 'h', password: 'admin-Pw' }, {}],
    ['RDS-managed without tags', { username: 'postgres', password: 'admin-Pw' }, {}],
  ])('rejects an admin secret that is %s with ERR_ADMIN_SECRET_INVALID', async (_name, value, tags) => {
    expect(
      await codeOf(
        resolveAdminLogin(user('h'), { secrets: secretsWith(value, tags), rds: () => fakeRds([]) }),
      ),
    ).toBe(ErrorCode.ERR_ADMIN_SECRET_INVALID);
  });

  it('rejects an RDS-managed secret whose instance runs another engine', async () => {
    const rds = fakeRds([{ identifier: 'my', engine: 'mysql', endpoint: { host: PRIMARY, port: 3306 } }]);
    const secrets = secretsWith(
      { username: 'admin', password: 'admin-Pw' },
      { 'aws:rds:primarydbinstancearn': 'arn:aws:rds:us-east-1:1:db:my' },
    );
    expect(await codeOf(resolveAdminLogin(user(PRIMARY), { secrets, rds: () => rds }))).toBe(
      ErrorCode.ERR_UNSUPPORTED_ENGINE,
    );
  });
});
