import { describe, expect, it } from 'vitest';
import { EnvReader } from '../../../shared/config.ts';
import { ErrorCode, RotationError } from '../../../shared/errors.ts';
import { createMemoryLog } from '../../../scripts/testbed/memory-observability.ts';
import { DEFAULT_PASSWORD_POLICY, type PasswordGenerator } from '../../../shared/password.ts';
import type { SecretsPort, SecretVersion, SecretVersionEntry } from '../../../shared/secrets-port.ts';
import { Sensitive } from '../../../shared/sensitive.ts';
import type { RotationContext } from '../../../shared/strategy.ts';
import { HISTORY_SCAN_LIMIT } from '../../../functions/postgres/password-history.ts';
import type { PgConnector } from '../../../functions/postgres/pg-connector.ts';
import { readPostgresConfig } from '../../../functions/postgres/postgres-config.ts';
import { parsePostgresSecret, type PostgresSecret } from '../../../functions/postgres/postgres-secret.ts';
import { createPostgresStrategy } from '../../../functions/postgres/postgres-strategy.ts';
import { scripted } from './scripted-passwords.ts';

// createPending's reuse check (PCI DSS 8.3.7: none of the last four passwords of the user)
// over a scripted version history: no network, no database.

const ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:app-AbCdEf';
const TOKEN = 'pending-token';
const pw = (n: number): string => `Pw${n}!`.padEnd(32, 'a');

interface StoredVersion {
  readonly id: string;
  readonly value: string | undefined;
  readonly stages: string[];
  readonly created: number;
}

/** Versions oldest first; only what createPending reads is implemented. */
class HistoryPort {
  readonly versions: StoredVersion[] = [];
  readonly reads: string[] = [];
  listError: Error | undefined;

  add(value: object | string | undefined, stages: string[] = []): this {
    const text =
      value === undefined || typeof value === 'string'
        ? value
        : JSON.stringify({ host: 'db.internal', ssl: false, ...value });
    this.versions.push({
      id: `v${this.versions.length + 1}`,
      value: text,
      stages,
      created: 1_700_000_000_000 + this.versions.length * 1000,
    });
    return this;
  }

  port(): SecretsPort {
    const unused = async (): Promise<never> => {
      throw new Error('not used by createPending');
    };
    return {
      describeSecret: unused,
      putSecretValue: unused,
      updateSecretVersionStage: unused,
      getRandomPassword: unused,
      tagResource: unused,
      untagResource: unused,
      listSecretVersionIds: async (): Promise<SecretVersionEntry[]> => {
        if (this.listError) throw this.listError;
        // Service order is not creation order: the port must sort by CreatedDate.
        return [...this.versions]
          .reverse()
          .map((v) => ({ VersionId: v.id, VersionStages: v.stages, CreatedDate: new Date(v.created) }));
      },
      getSecretValue: async (input): Promise<SecretVersion | undefined> => {
        this.reads.push(input.VersionId ?? '');
        const version = this.versions.find((v) => v.id === input.VersionId);
        if (version?.value === undefined) return undefined;
        return {
          ARN,
          VersionId: version.id,
          VersionStages: version.stages,
          SecretString: new Sensitive(version.value),
        };
      },
    };
  }

  labelled(stage: string): { id: string; secret: PostgresSecret } | undefined {
    const version = this.versions.find((v) => v.stages.includes(stage));
    if (version?.value === undefined) return undefined;
    return {
      id: version.id,
      secret: parsePostgresSecret(new Sensitive(version.value), { versionId: version.id, stage }),
    };
  }
}

async function createPending(history: HistoryPort, generator: PasswordGenerator) {
  const logger = createMemoryLog();
  const reader = new EnvReader({});
  const strategy = createPostgresStrategy({
    config: reader.done(readPostgresConfig(reader)),
    connector: {} as PgConnector,
    logger,
    passwords: generator,
    passwordPolicy: DEFAULT_PASSWORD_POLICY,
    rds: () => {
      throw new Error('RDS not expected');
    },
    sleep: async () => undefined,
    now: () => 0,
  });
  const current = history.labelled('AWSCURRENT');
  const previous = history.labelled('AWSPREVIOUS');
  if (current === undefined) throw new Error('test setup: no AWSCURRENT');
  const context = {
    secretArn: ARN,
    emergency: false,
    logger,
    secrets: history.port(),
    versionIds: { current: current.id, pending: TOKEN, ...(previous ? { previous: previous.id } : {}) },
  } as unknown as RotationContext;
  const run = strategy.createPending({ current: current.secret, previous: previous?.secret, context });
  return { run, logger };
}

/** app's passwords pw(1)..pw(5), oldest first; pw(5) is AWSCURRENT, pw(4) AWSPREVIOUS, the rest deprecated. */
function singleUserHistory(): HistoryPort {
  const history = new HistoryPort();
  for (let n = 1; n <= 5; n += 1)
    history.add(
      { username: 'app', password: pw(n) },
      n === 5 ? ['AWSCURRENT'] : n === 4 ? ['AWSPREVIOUS'] : [],
    );
  return history;
}

describe('createPending: no reuse of the last four passwords of the user', () => {
  it.each([5, 4, 3, 2])(
    'single user: rejects pw(%i), one of the last four, and keeps the fresh one drawn after it',
    async (old) => {
      const generator = scripted([pw(old), pw(99)]);
      const { run, logger } = await createPending(singleUserHistory(), generator);
      const pending = await run;
      expect(pending.password.reveal()).toBe(pw(99));
      expect(generator.calls).toBe(2);
      for (let n = 1; n <= 5; n += 1) expect(logger.lines.join('\n')).not.toContain(pw(n));
    },
  );

  it('single user: accepts the fifth-oldest password, which is out of the window', async () => {
    const generator = scripted([pw(1), pw(99)]);
    const { run } = await createPending(singleUserHistory(), generator);
    expect((await run).password.reveal()).toBe(pw(1));
    expect(generator.calls).toBe(1);
  });

  it('counts a repeated password once, so the window reaches four distinct ones', async () => {
    const history = new HistoryPort()
      .add({ username: 'app', password: pw(1) })
      .add({ username: 'app', password: pw(2) })
      .add({ username: 'app', password: pw(2) })
      .add({ username: 'app', password: pw(3) }, ['AWSPREVIOUS'])
      .add({ username: 'app', password: pw(4) }, ['AWSCURRENT']);
    const generator = scripted([pw(1), pw(99)]);
    const { run } = await createPending(history, generator);
    expect((await run).password.reveal()).toBe(pw(99));
  });

  it('skips versions of another user, empty versions and values that do not parse', async () => {
    const history = new HistoryPort()
      .add({ username: 'app', password: pw(1) })
      .add({ username: 'someone_else', password: pw(2) })
      .add(undefined)
      .add('not json and not a url')
      .add({ username: 'app', password: pw(4) }, ['AWSPREVIOUS'])
      .add({ username: 'app', password: pw(5) }, ['AWSCURRENT']);
    const rejected = scripted([pw(1), pw(99)]);
    expect((await (await createPending(history, rejected)).run).password.reveal()).toBe(pw(99));
    const allowed = scripted([pw(2), pw(99)]);
    expect((await (await createPending(history, allowed)).run).password.reveal()).toBe(pw(2));
  });

  it("alternating: checks the pending login's past passwords and the other login's current one only", async () => {
    // app and app_clone alternate: app_clone holds pw(1), pw(3), pw(5) (AWSPREVIOUS); app holds pw(2), pw(4), pw(6) (AWSCURRENT).
    const history = new HistoryPort();
    for (let n = 1; n <= 6; n += 1) {
      history.add(
        { username: n % 2 === 1 ? 'app_clone' : 'app', password: pw(n), masterarn: 'arn:admin' },
        n === 6 ? ['AWSCURRENT'] : n === 5 ? ['AWSPREVIOUS'] : [],
      );
    }
    for (const old of [1, 3, 5, 6]) {
      const generator = scripted([pw(old), pw(99)]);
      expect((await (await createPending(history, generator)).run).password.reveal()).toBe(pw(99));
    }
    const otherLoginsOld = scripted([pw(4), pw(99)]);
    const pending = await (await createPending(history, otherLoginsOld)).run;
    expect(pending.username).toBe('app_clone');
    expect(pending.password.reveal()).toBe(pw(4));
  });

  it(`reads at most ${HISTORY_SCAN_LIMIT} past versions`, async () => {
    const history = new HistoryPort();
    for (let n = 1; n <= 30; n += 1)
      history.add(
        { username: n <= 28 ? 'other' : 'app', password: pw(n) },
        n === 30 ? ['AWSCURRENT'] : n === 29 ? ['AWSPREVIOUS'] : [],
      );
    const { run } = await createPending(history, scripted([pw(99)]));
    await run;
    expect(history.reads).toHaveLength(HISTORY_SCAN_LIMIT);
    expect(history.reads).not.toContain('v30');
    expect(history.reads[0]).toBe('v28');
  });

  it('falls back to the labelled versions with a warning when the versions cannot be listed', async () => {
    const history = singleUserHistory();
    history.listError = new RotationError(
      ErrorCode.ERR_SECRETS_MANAGER,
      `Secrets Manager ListSecretVersionIds failed with AccessDeniedException for ${ARN}`,
      {
        details: { operation: 'ListSecretVersionIds', awsError: 'AccessDeniedException', secretId: ARN },
      },
    );
    const current = scripted([pw(5), pw(99)]);
    const first = await createPending(history, current);
    expect((await first.run).password.reveal()).toBe(pw(99));
    const warning = first.logger.lines
      .map((line) => JSON.parse(line) as Record<string, unknown>)
      .find((line) => line['level'] === 'WARN');
    expect(warning).toMatchObject({ secretId: ARN, user: 'app', error: 'AccessDeniedException' });
    // Without the history only AWSCURRENT and AWSPREVIOUS are known: pw(3) gets through.
    const older = scripted([pw(3), pw(99)]);
    const second = await createPending(history, older);
    expect((await second.run).password.reveal()).toBe(pw(3));
    for (let n = 1; n <= 5; n += 1)
      expect([...first.logger.lines, ...second.logger.lines].join('\n')).not.toContain(pw(n));
  });

  it('still fails with ERR_POLICY_VIOLATION, naming no value, when every draw is a recent password', async () => {
    const { run } = await createPending(singleUserHistory(), scripted([pw(3)]));
    const error = await run.catch((thrown: unknown) => thrown);
    expect(error).toMatchObject({ code: ErrorCode.ERR_POLICY_VIOLATION });
    expect((error as Error).message).toContain('reused');
    expect((error as Error).message).not.toContain(pw(3));
  });
});
