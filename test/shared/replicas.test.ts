import { describe, expect, it } from 'vitest';
import { ErrorCode } from '../../shared/errors.ts';
import { createMemoryLog } from '../../scripts/testbed/memory-observability.ts';
import { secretsManagerPasswordGenerator } from '../../shared/password.ts';
import { REPLICA_STATUS_TAG, ReplicaGuard, unfinishedRegions } from '../../shared/replicas.ts';
import { Rotator } from '../../shared/rotator.ts';
import type { ReplicaStatus, SecretDescription } from '../../shared/secrets-port.ts';
import type { RotationStrategy } from '../../shared/strategy.ts';
import { codeOfAsync } from '../support/error-code.ts';
import { FakeTarget, fakeStrategy, type FakeValue } from './fake-strategy.ts';
import { MemorySecretsPort } from './memory-secrets-port.ts';

const CURRENT = 'c'.repeat(32);
const TOKEN = 't'.repeat(32);
const REGION = 'us-west-2';

/** The primary, with replica Regions listed as DescribeSecret lists them. */
class ReplicatedPort extends MemorySecretsPort {
  replication: ReplicaStatus[] = [{ Region: REGION, Status: 'InSync' }];
  override async describeSecret(): Promise<Awaited<ReturnType<MemorySecretsPort['describeSecret']>>> {
    return Object.assign(await super.describeSecret(), {
      PrimaryRegion: 'us-east-1',
      ReplicationStatus: this.replication,
    });
  }
}

/** A replica that serves whatever AWSCURRENT the test says; `catchUp` copies the primary. */
class Replica {
  current = CURRENT;
  reads = 0;
  /** Copy the primary's AWSCURRENT after this many reads (Infinity: never). */
  catchUpAfter = 0;
  constructor(private readonly primary: MemorySecretsPort) {}
  port = {
    describeSecret: async (secretId: string): Promise<SecretDescription> => {
      this.reads += 1;
      if (this.reads > this.catchUpAfter) {
        const labels = this.primary.labels();
        this.current = Object.keys(labels).find((id) => labels[id]?.includes('AWSCURRENT')) ?? this.current;
      }
      return {
        ARN: secretId,
        Name: 'unit',
        VersionIdsToStages: { [this.current]: ['AWSCURRENT'] },
        Tags: {},
      };
    },
  };
}

function setup(options: { replacesCurrent?: boolean; emergency?: boolean } = {}) {
  const port = new ReplicatedPort()
    .addVersion(CURRENT, JSON.stringify({ username: 'app', password: 'Current-Passw0rd!' }), ['AWSCURRENT'])
    .addVersion(TOKEN, undefined, ['AWSPENDING']);
  if (options.emergency) port.tags['RotationMode'] = 'emergency';
  const target = new FakeTarget();
  target.passwords.set('app', 'Current-Passw0rd!');
  const logger = createMemoryLog();
  const finished: string[] = [];
  const base = fakeStrategy(target, secretsManagerPasswordGenerator(port));
  const strategy: RotationStrategy<FakeValue> = {
    ...base,
    finishSecret: async ({ context }) => {
      finished.push(context.emergency ? 'revoked' : 'finished');
    },
    setReplacesCurrent: () => options.replacesCurrent ?? true,
  };
  const replica = new Replica(port);
  let clock = 0;
  const replicas = new ReplicaGuard({
    replicas: () => replica.port,
    primary: port,
    settings: { syncWaitMs: 5_000, catchUpWaitMs: 5_000, pollIntervalMs: 1_000 },
    logger,
    now: () => clock,
    sleep: async (ms) => {
      clock += ms;
    },
  });
  const rotator = new Rotator({ secrets: port, strategy, logger, replicas });
  const event = (Step: 'createSecret' | 'setSecret' | 'testSecret' | 'finishSecret') => ({
    Step,
    SecretId: port.arn,
    ClientRequestToken: TOKEN,
  });
  return { port, target, logger, rotator, event, replica, finished };
}

describe('replica Regions', () => {
  it('refuses setSecret of a single-user strategy while a replica is Failed, naming the Region, with the target unchanged', async () => {
    const s = setup();
    await s.rotator.handle(s.event('createSecret'));
    s.port.replication = [{ Region: REGION, Status: 'Failed', StatusMessage: 'KMS key disabled' }];
    const error = await s.rotator.handle(s.event('setSecret')).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: ErrorCode.ERR_REPLICA_FAILED, details: { regions: REGION } });
    expect((error as Error).message).toContain('us-west-2 (KMS key disabled)');
    expect(s.target.passwords.get('app')).toBe('Current-Passw0rd!');
  });

  it('refuses setSecret while a replica still serves an older AWSCURRENT after the sync wait', async () => {
    const s = setup();
    await s.rotator.handle(s.event('createSecret'));
    s.replica.current = 'o'.repeat(32);
    s.replica.catchUpAfter = Infinity;
    expect(await codeOfAsync(s.rotator.handle(s.event('setSecret')))).toBe(ErrorCode.ERR_REPLICA_BEHIND);
    expect(s.target.passwords.get('app')).toBe('Current-Passw0rd!');
  });

  it('lets setSecret change the target once every replica holds AWSCURRENT', async () => {
    const s = setup();
    await s.rotator.handle(s.event('createSecret'));
    await s.rotator.handle(s.event('setSecret'));
    expect(s.target.passwords.get('app')).not.toBe('Current-Passw0rd!');
  });

  it('does not hold back setSecret of a zero-downtime strategy for a Failed replica', async () => {
    const s = setup({ replacesCurrent: false });
    await s.rotator.handle(s.event('createSecret'));
    s.port.replication = [{ Region: REGION, Status: 'Failed' }];
    await s.rotator.handle(s.event('setSecret'));
    expect(s.target.passwords.get('app')).not.toBe('Current-Passw0rd!');
  });

  it('waits after finishSecret until the replica holds the new version and records the lag per Region', async () => {
    const s = setup();
    for (const step of ['createSecret', 'setSecret', 'testSecret'] as const)
      await s.rotator.handle(s.event(step));
    s.replica.catchUpAfter = s.replica.reads + 2;
    await s.rotator.handle(s.event('finishSecret'));
    expect(s.replica.current).toBe(TOKEN);
    expect(s.port.tags[REPLICA_STATUS_TAG]).toMatch(new RegExp(`^${TOKEN} ${REGION}=\\d+ms$`));
    const status = s.logger.lines.map((line: string) => JSON.parse(line) as Record<string, unknown>);
    expect(status).toContainEqual(
      expect.objectContaining({
        message: 'Replica Region status',
        replicaRegion: REGION,
        replicaState: 'holds',
      }),
    );
  });

  it('leaves the rotation visibly unfinished when a replica does not catch up, without undoing the primary; a re-run finishes it', async () => {
    const s = setup();
    for (const step of ['createSecret', 'setSecret', 'testSecret'] as const)
      await s.rotator.handle(s.event(step));
    s.replica.catchUpAfter = Infinity;
    const error = await s.rotator.handle(s.event('finishSecret')).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: ErrorCode.ERR_REPLICA_LAGGING, details: { regions: REGION } });
    expect(s.port.labels()[TOKEN]).toContain('AWSCURRENT');
    expect(unfinishedRegions(s.port.tags[REPLICA_STATUS_TAG], TOKEN)).toEqual([REGION]);
    s.replica.catchUpAfter = 0;
    await s.rotator.handle(s.event('finishSecret'));
    expect(unfinishedRegions(s.port.tags[REPLICA_STATUS_TAG], TOKEN)).toEqual([]);
  });

  it('an emergency stops before the label move while a replica is Failed, and keeps the tag', async () => {
    const s = setup({ replacesCurrent: false, emergency: true });
    for (const step of ['createSecret', 'setSecret', 'testSecret'] as const)
      await s.rotator.handle(s.event(step));
    s.port.replication = [{ Region: REGION, Status: 'Failed' }];
    expect(await codeOfAsync(s.rotator.handle(s.event('finishSecret')))).toBe(ErrorCode.ERR_REPLICA_FAILED);
    expect(s.port.labels()[CURRENT]).toEqual(['AWSCURRENT']);
    expect(s.port.tags['RotationMode']).toBe('emergency');
    expect(s.finished).toEqual([]);
  });

  it('an emergency revokes only after every replica serves the new credential', async () => {
    const s = setup({ replacesCurrent: false, emergency: true });
    for (const step of ['createSecret', 'setSecret', 'testSecret'] as const)
      await s.rotator.handle(s.event(step));
    s.replica.catchUpAfter = Infinity;
    expect(await codeOfAsync(s.rotator.handle(s.event('finishSecret')))).toBe(ErrorCode.ERR_REPLICA_LAGGING);
    expect(s.finished).toEqual([]);
    expect(s.port.tags['RotationMode']).toBe('emergency');
    s.replica.catchUpAfter = 0;
    await s.rotator.handle(s.event('finishSecret'));
    expect(s.finished).toEqual(['revoked']);
    expect(s.port.tags['RotationMode']).toBeUndefined();
  });

  it('makes no replica call for a secret that is not replicated', async () => {
    const s = setup();
    s.port.replication = [];
    for (const step of ['createSecret', 'setSecret', 'testSecret', 'finishSecret'] as const)
      await s.rotator.handle(s.event(step));
    expect(s.replica.reads).toBe(0);
    expect(s.port.tags[REPLICA_STATUS_TAG]).toBeUndefined();
  });
});
