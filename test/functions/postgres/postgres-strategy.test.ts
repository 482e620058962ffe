import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { RotationError } from '../../../shared/errors.ts';
import { ErrorCode } from '../../../shared/errors.ts';
import { EnvReader } from '../../../shared/config.ts';
import { createMemoryLog } from '../../../scripts/testbed/memory-observability.ts';
import { DEFAULT_PASSWORD_POLICY } from '../../../shared/password.ts';
import { Sensitive } from '../../../shared/sensitive.ts';
import type { SecretsPort } from '../../../shared/secrets-port.ts';
import type { RotationContext } from '../../../shared/strategy.ts';
import { pgFailure } from '../../../functions/postgres/login-failure.ts';
import type { PgConnector, PgEndpoint } from '../../../functions/postgres/pg-connector.ts';
import { readPostgresConfig } from '../../../functions/postgres/postgres-config.ts';
import {
  parsePostgresSecret,
  serializePostgresSecret,
  type PostgresSecret,
} from '../../../functions/postgres/postgres-secret.ts';
import { createPostgresStrategy } from '../../../functions/postgres/postgres-strategy.ts';
import type { RdsPort, RdsTarget } from '../../../functions/postgres/rds-port.ts';

// The strategy's decisions with a fake database port (no network): which credentials it
// tries and in what order, what SQL it sends, and that every connection is closed.

class FakeDatabase implements PgConnector {
  readonly passwords = new Map<string, string>();
  readonly log: string[] = [];
  readonly sql: string[] = [];
  open = 0;
  failAlter = false;
  passwordEncryption = 'scram-sha-256';
  /** The role admin sessions act as (a database's `SET role`); default: their login. */
  actsAs: string | undefined;

  async connect(endpoint: PgEndpoint, credential?: string) {
    const ok = this.passwords.get(endpoint.user) === endpoint.password.reveal();
    this.log.push(`${credential}:${endpoint.user}:${ok ? 'ok' : 'denied'}`);
    if (!ok)
      throw pgFailure(Object.assign(new Error('password authentication failed'), { code: '28P01' }), {
        action: 'login',
        host: endpoint.host,
        port: endpoint.port,
        user: endpoint.user,
        ...(credential ? { credential } : {}),
      });
    this.open += 1;
    let closed = false;
    return {
      query: async (text: string) => {
        this.sql.push(text);
        if (text.startsWith('ALTER ROLE') && this.failAlter)
          throw pgFailure(Object.assign(new Error('permission denied'), { code: '42501' }), {
            action: 'ALTER ROLE',
            host: endpoint.host,
            port: endpoint.port,
            user: endpoint.user,
          });
        if (text.includes('pg_catalog."current_user"()'))
          return [{ current_user: this.actsAs ?? endpoint.user, session_user: endpoint.user }];
        if (text.startsWith('SELECT current_user'))
          return [{ current_user: endpoint.user, session_user: endpoint.user }];
        if (text.includes("current_setting('password_encryption')"))
          return [{ password_encryption: this.passwordEncryption }];
        return [];
      },
      close: async () => {
        if (!closed) this.open -= 1;
        closed = true;
      },
    };
  }
}

const where = { versionId: 'v', stage: 'AWSCURRENT' };
const secret = (fields: object): PostgresSecret =>
  parsePostgresSecret(
    new Sensitive(JSON.stringify({ host: 'db.internal', username: 'app', ssl: false, ...fields })),
    where,
  );

function setup(env: Record<string, string> = {}, rds?: RdsPort) {
  const db = new FakeDatabase();
  const reader = new EnvReader(env);
  const config = reader.done(readPostgresConfig(reader));
  const logger = createMemoryLog();
  let counter = 0;
  const strategy = createPostgresStrategy({
    config,
    connector: db,
    logger,
    passwords: { generate: async () => new Sensitive(`Generated${++counter}!aA1`.padEnd(32, 'z')) },
    passwordPolicy: DEFAULT_PASSWORD_POLICY,
    rds: () => {
      if (rds === undefined) throw new Error('RDS not expected');
      return rds;
    },
    sleep: async () => undefined,
    now: () => 0,
  });
  // The secret has no version history beyond the labelled ones (password-history.test.ts covers it).
  const secrets = { listSecretVersionIds: async () => [] } as unknown as SecretsPort;
  const context = {
    emergency: false,
    logger,
    secrets,
    secretArn: 'arn:s',
    versionIds: { current: 'v', pending: 'p' },
  } as unknown as RotationContext;
  return { db, strategy, context, logger };
}

describe('single-user setSecret', () => {
  it('does nothing when the pending password already logs in', async () => {
    const { db, strategy, context } = setup();
    db.passwords.set('app', 'new-Pw');
    await strategy.setSecret({
      current: secret({ password: 'old-Pw' }),
      pending: secret({ password: 'new-Pw' }),
      previous: undefined,
      context,
    });
    expect(db.log).toEqual(['pending:app:ok']);
    expect(db.sql).toEqual([]);
    expect(db.open).toBe(0);
  });

  it('tries pending, then current, and sets a SCRAM verifier, never the password', async () => {
    const { db, strategy, context } = setup();
    db.passwords.set('app', 'old-Pw');
    await strategy.setSecret({
      current: secret({ password: 'old-Pw' }),
      pending: secret({ password: 'new-Pw-plaintext' }),
      previous: undefined,
      context,
    });
    expect(db.log).toEqual(['pending:app:denied', 'current:app:ok']);
    const alters = db.sql.filter((sql) => sql.startsWith('ALTER'));
    expect(alters).toHaveLength(1);
    expect(alters[0]).toMatch(
      /^ALTER ROLE "app" WITH PASSWORD 'SCRAM-SHA-256\$4096:[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+:[A-Za-z0-9+/=]+'$/,
    );
    expect(db.sql.join('\n')).not.toContain('new-Pw-plaintext');
    expect(db.open).toBe(0);
  });

  it('sends an md5 hash, never the password, when the session says password_encryption = md5', async () => {
    const { db, strategy, context } = setup();
    db.passwords.set('app', 'old-Pw');
    db.passwordEncryption = 'md5';
    await strategy.setSecret({
      current: secret({ password: 'old-Pw' }),
      pending: secret({ password: 'new-Pw-plaintext' }),
      previous: undefined,
      context,
    });
    // PostgreSQL's md5 hash: md5(password || user name), hex.
    const md5 = createHash('md5').update('new-Pw-plaintextapp').digest('hex');
    expect(db.sql.filter((sql) => sql.startsWith('ALTER'))).toEqual([
      `ALTER ROLE "app" WITH PASSWORD 'md5${md5}'`,
    ]);
  });

  it('PG_PASSWORD_ENCRYPTION=scram-sha-256 sends SCRAM on an md5 server without asking it', async () => {
    const { db, strategy, context } = setup({ PG_PASSWORD_ENCRYPTION: 'scram-sha-256' });
    db.passwords.set('app', 'old-Pw');
    db.passwordEncryption = 'md5';
    await strategy.setSecret({
      current: secret({ password: 'old-Pw' }),
      pending: secret({ password: 'new-Pw-plaintext' }),
      previous: undefined,
      context,
    });
    expect(db.sql.some((sql) => sql.includes('password_encryption'))).toBe(false);
    expect(db.sql.filter((sql) => sql.startsWith('ALTER'))[0]).toMatch(/PASSWORD 'SCRAM-SHA-256\$/);
  });

  it('falls back to previous, and skips a previous version that names another user', async () => {
    const { db, strategy, context } = setup();
    db.passwords.set('app', 'older-Pw');
    await strategy.setSecret({
      current: secret({ password: 'old-Pw' }),
      pending: secret({ password: 'new-Pw' }),
      previous: secret({ password: 'older-Pw' }),
      context,
    });
    expect(db.log).toEqual(['pending:app:denied', 'current:app:denied', 'previous:app:ok']);
    const other = setup();
    other.db.passwords.set('root', 'older-Pw');
    await expect(
      other.strategy.setSecret({
        current: secret({ password: 'old-Pw' }),
        pending: secret({ password: 'new-Pw' }),
        previous: secret({ username: 'root', password: 'older-Pw' }),
        context: other.context,
      }),
    ).rejects.toMatchObject({
      code: ErrorCode.ERR_NO_WORKING_CREDENTIAL,
    });
    expect(other.db.log).toEqual(['pending:app:denied', 'current:app:denied']);
  });

  it('names the reason for every credential tried when none works, without any password', async () => {
    const { strategy, context } = setup();
    let error: unknown;
    try {
      await strategy.setSecret({
        current: secret({ password: 'old-Pw' }),
        pending: secret({ password: 'new-Pw' }),
        previous: secret({ password: 'older-Pw' }),
        context,
      });
    } catch (thrown) {
      error = thrown;
    }
    expect((error as RotationError).code).toBe(ErrorCode.ERR_NO_WORKING_CREDENTIAL);
    expect((error as RotationError).message).toBe(
      'Unable to log in to db.internal:5432 with the pending, current, previous credentials: pending (user "app"): wrong password [ERR_TARGET_AUTH_FAILED]; current (user "app"): wrong password [ERR_TARGET_AUTH_FAILED]; previous (user "app"): wrong password [ERR_TARGET_AUTH_FAILED] (PostgreSQL also reports a role that does not exist, or whose VALID UNTIL has passed, as a wrong password)',
    );
  });

  it('closes the connection when the ALTER fails', async () => {
    const { db, strategy, context } = setup();
    db.passwords.set('app', 'old-Pw');
    db.failAlter = true;
    await expect(
      strategy.setSecret({
        current: secret({ password: 'old-Pw' }),
        pending: secret({ password: 'new-Pw' }),
        previous: undefined,
        context,
      }),
    ).rejects.toMatchObject({ code: ErrorCode.ERR_TARGET_PERMISSION_DENIED });
    expect(db.open).toBe(0);
  });

  it.each([
    ['username', { username: 'root' }],
    ['host', { host: 'evil.example.com' }],
    ['port', { port: 6543 }],
    ['database', { dbname: 'other' }],
  ])('refuses a pending value that changes the %s, before logging in', async (_field, change) => {
    const { db, strategy, context } = setup();
    await expect(
      strategy.setSecret({
        current: secret({ password: 'old-Pw' }),
        pending: secret({ password: 'new-Pw', ...change }),
        previous: undefined,
        context,
      }),
    ).rejects.toMatchObject({
      code: ErrorCode.ERR_SECRET_IDENTITY_CHANGED,
    });
    expect(db.log).toEqual([]);
  });
});

describe('createPending', () => {
  it('single user: same shape and user, a new password', async () => {
    const { strategy, context } = setup();
    const current = secret({ password: 'old-Pw', extra: 1 });
    const pending = await strategy.createPending({ current, previous: undefined, context });
    expect(pending.username).toBe('app');
    expect(pending.password.reveal()).toHaveLength(32);
    expect(JSON.parse(serializePostgresSecret(pending).reveal())).toMatchObject({
      extra: 1,
      username: 'app',
      host: 'db.internal',
    });
  });

  it('alternating (masterarn present): switches to the _clone user and back', async () => {
    const { strategy, context } = setup();
    const first = await strategy.createPending({
      current: secret({ password: 'p', masterarn: 'arn:m' }),
      previous: undefined,
      context,
    });
    expect(first.username).toBe('app_clone');
    const second = await strategy.createPending({ current: first, previous: undefined, context });
    expect(second.username).toBe('app');
  });

  it('PG_ROTATION_STRATEGY=alternating-users without masterarn fails before storing anything', async () => {
    const { strategy, context } = setup({ PG_ROTATION_STRATEGY: 'alternating-users' });
    await expect(
      strategy.createPending({ current: secret({ password: 'p' }), previous: undefined, context }),
    ).rejects.toMatchObject({ code: ErrorCode.ERR_SECRET_MALFORMED, details: { field: 'masterarn' } });
  });

  it('PG_ROTATION_STRATEGY=single-user keeps the user even with masterarn', async () => {
    const { strategy, context } = setup({ PG_ROTATION_STRATEGY: 'single-user' });
    expect(
      (
        await strategy.createPending({
          current: secret({ password: 'p', masterarn: 'arn:m' }),
          previous: undefined,
          context,
        })
      ).username,
    ).toBe('app');
  });
});

describe('testSecret', () => {
  it('logs in as pending, probes, and closes', async () => {
    const { db, strategy, context } = setup();
    db.passwords.set('app', 'new-Pw');
    await strategy.testSecret({
      current: secret({ password: 'old-Pw' }),
      pending: secret({ password: 'new-Pw' }),
      previous: undefined,
      context,
    });
    expect(db.log).toEqual(['pending:app:ok']);
    expect(db.sql).toEqual(['SELECT current_user AS current_user, session_user AS session_user']);
    expect(db.open).toBe(0);
  });

  it('keeps the classified login code when pending cannot log in', async () => {
    const { strategy, context } = setup();
    await expect(
      strategy.testSecret({
        current: secret({ password: 'old-Pw' }),
        pending: secret({ password: 'new-Pw' }),
        previous: undefined,
        context,
      }),
    ).rejects.toMatchObject({ code: ErrorCode.ERR_TARGET_AUTH_FAILED });
  });

  it('owner-role mode: fails when the login does not act as the owner role', async () => {
    const { db, strategy, context } = setup({ PG_ALTERNATING_NAMING: 'owner-role' });
    db.passwords.set('app_clone', 'new-Pw');
    await expect(
      strategy.testSecret({
        current: secret({ password: 'old-Pw', masterarn: 'arn:m' }),
        pending: secret({ username: 'app_clone', password: 'new-Pw', masterarn: 'arn:m' }),
        previous: undefined,
        context,
      }),
    ).rejects.toMatchObject({
      code: ErrorCode.ERR_TEST_FAILED,
      message: expect.stringContaining('owner role "app_owner"'),
    });
  });
});

describe('alternating setSecret', () => {
  const adminSecrets = {
    getSecretValue: async () => ({
      ARN: 'arn:m',
      VersionId: 'a',
      VersionStages: ['AWSCURRENT'],
      SecretString: new Sensitive(
        JSON.stringify({ host: 'db.internal', username: 'postgres', password: 'admin-Pw', ssl: false }),
      ),
    }),
  };

  it('owner-role naming: sets up a pending login that logs in but does not act as the owner role yet', async () => {
    const { db, strategy, context } = setup({ PG_ALTERNATING_NAMING: 'owner-role' });
    db.passwords.set('app', 'old-Pw');
    db.passwords.set('app_clone', 'new-Pw');
    db.passwords.set('postgres', 'admin-Pw');
    const withSecrets = { ...context, secrets: adminSecrets } as unknown as RotationContext;
    await strategy.setSecret({
      current: secret({ password: 'old-Pw', masterarn: 'arn:m' }),
      pending: secret({ username: 'app_clone', password: 'new-Pw', masterarn: 'arn:m' }),
      previous: undefined,
      context: withSecrets,
    });
    expect(db.log).toEqual(['pending:app_clone:ok', 'current:app:ok', 'admin:postgres:ok']);
    expect(
      db.sql
        .filter((sql) => /^(CREATE|ALTER|GRANT)/.test(sql))
        .map((sql) => sql.replace(/'SCRAM-SHA-256[^']*'/, "'<verifier>'")),
    ).toEqual([
      `CREATE ROLE "app_clone" WITH LOGIN PASSWORD '<verifier>'`,
      'CREATE ROLE "app_owner" WITH NOLOGIN',
      'GRANT "app_owner" TO "app"',
      `ALTER ROLE "app" SET role = 'app_owner'`,
      'GRANT "app_owner" TO "app_clone"',
      `ALTER ROLE "app_clone" SET role = 'app_owner'`,
    ]);
    expect(db.sql).toContain('COMMIT');
    expect(db.open).toBe(0);
  });

  it('clone naming: does nothing when the pending login already works', async () => {
    const { db, strategy, context } = setup();
    db.passwords.set('app_clone', 'new-Pw');
    await strategy.setSecret({
      current: secret({ password: 'old-Pw', masterarn: 'arn:m' }),
      pending: secret({ username: 'app_clone', password: 'new-Pw', masterarn: 'arn:m' }),
      previous: undefined,
      context,
    });
    expect(db.log).toEqual(['pending:app_clone:ok']);
    expect(db.sql).toEqual([]);
  });
});

describe('alternating users: the admin acts as itself', () => {
  it('refuses to run admin statements when the session still acts as another role, changing nothing', async () => {
    const { db, strategy, context } = setup();
    db.passwords.set('app', 'old-Pw');
    db.passwords.set('postgres', 'admin-Pw');
    db.actsAs = 'app';
    const adminSecrets = {
      getSecretValue: async () => ({
        ARN: 'arn:m',
        VersionId: 'a',
        VersionStages: ['AWSCURRENT'],
        SecretString: new Sensitive(
          JSON.stringify({ host: 'db.internal', username: 'postgres', password: 'admin-Pw' }),
        ),
      }),
      listSecretVersionIds: async () => [],
    };
    const withSecrets = { ...context, secrets: adminSecrets } as unknown as RotationContext;
    await expect(
      strategy.setSecret({
        current: secret({ password: 'old-Pw', masterarn: 'arn:m' }),
        pending: secret({ username: 'app_clone', password: 'new-Pw', masterarn: 'arn:m' }),
        previous: undefined,
        context: withSecrets,
      }),
    ).rejects.toMatchObject({
      code: ErrorCode.ERR_TARGET_UNSAFE,
      details: { currentUser: 'app', sessionUser: 'postgres' },
    });
    expect(db.sql.filter((sql) => /^(CREATE|ALTER|GRANT)/.test(sql))).toEqual([]);
    expect(db.open).toBe(0);
  });
});

describe('break-glass', () => {
  it('resets the master password of a cluster and returns once the new password logs in', async () => {
    const resets: RdsTarget[] = [];
    const late: { db?: FakeDatabase } = {};
    const rds: RdsPort = {
      describeDbInstance: async () => undefined,
      describeDbCluster: async (identifier) => ({
        identifier,
        engine: 'aurora-postgresql',
        endpoint: undefined,
        readerEndpoint: undefined,
        masterUsername: 'app',
        members: [],
        status: 'available',
      }),
      resetMasterPassword: async (target, password) => {
        resets.push(target);
        late.db?.passwords.set('app', password.reveal());
      },
    };
    const made = setup({ PG_BREAK_GLASS: 'true', PG_BREAK_GLASS_RESOURCE_ARNS: 'cluster:aur' }, rds);
    late.db = made.db;
    await made.strategy.setSecret({
      current: secret({ password: 'lost-Pw', dbClusterIdentifier: 'aur' }),
      pending: secret({ password: 'new-Pw', dbClusterIdentifier: 'aur' }),
      previous: undefined,
      context: made.context,
    });
    expect(resets).toEqual([{ kind: 'cluster', identifier: 'aur' }]);
    expect(made.db.log).toEqual(['pending:app:denied', 'current:app:denied', 'pending:app:ok']);
    expect(made.db.open).toBe(0);
  });

  it('is not tried when a login failed for a reason a reset cannot fix', async () => {
    const rds = {
      describeDbInstance: async () => undefined,
      describeDbCluster: async () => undefined,
      resetMasterPassword: async () => undefined,
    } as RdsPort;
    const made = setup({ PG_BREAK_GLASS: 'true' }, rds);
    made.db.connect = async (endpoint, credential) => {
      made.db.log.push(`${credential}:${endpoint.user}:refused`);
      throw pgFailure(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }), {
        action: 'login',
        host: endpoint.host,
        port: endpoint.port,
        user: endpoint.user,
      });
    };
    await expect(
      made.strategy.setSecret({
        current: secret({ password: 'p', dbInstanceIdentifier: 'prod' }),
        pending: secret({ password: 'q', dbInstanceIdentifier: 'prod' }),
        previous: undefined,
        context: made.context,
      }),
    ).rejects.toMatchObject({
      code: ErrorCode.ERR_TARGET_UNREACHABLE,
    });
  });
});
