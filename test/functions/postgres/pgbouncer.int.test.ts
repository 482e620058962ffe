import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode } from '../../../shared/errors.ts';
import {
  startPgBouncer,
  startPostgres,
  type PgBouncerServer,
  type PostgresServer,
} from '../../../scripts/testbed/servers.ts';
import {
  admin,
  canLogin,
  connect,
  createLogin,
  credentialsOf,
  failedCodes,
  startPgHarness,
  type PgHarness,
} from './postgres-harness.ts';

// Rotation through a real PgBouncer (Debian's, default startup-parameter policy, auth_query)
// in front of PostgreSQL 15, in session and in transaction pooling: the secret's host and port
// are PgBouncer's, as for RDS users who rotate through a pooler endpoint.

describe.each(['session', 'transaction'] as const)('rotation through PgBouncer in %s pooling', (poolMode) => {
  let server: PostgresServer;
  let bouncer: PgBouncerServer;
  let h: PgHarness;
  let singleFn: string;
  let alternatingFn: string;
  let adminArn: string;

  beforeAll(async () => {
    server = await startPostgres();
    bouncer = await startPgBouncer(server, { poolMode });
    h = await startPgHarness({ rotationRetries: 0 });
    singleFn = h.register(`pg-bouncer-${poolMode}-single`).arn;
    alternatingFn = h.register(`pg-bouncer-${poolMode}-alternating`).arn;
    adminArn = await h.createSecret(`pg/bouncer-${poolMode}-admin`, {
      engine: 'postgres',
      host: '127.0.0.1',
      port: bouncer.port,
      username: server.adminUser,
      password: server.adminPassword,
      ssl: false,
    });
  });

  afterAll(async () => {
    await h?.close();
    await bouncer?.destroy();
    await server?.destroy();
  });

  const bouncerEndpoint = () => ({ port: bouncer.port });
  const secretFor = (username: string, password: string, extra: object = {}) => ({
    engine: 'postgres',
    host: '127.0.0.1',
    port: bouncer.port,
    username,
    password,
    ssl: false,
    ...extra,
  });

  it('single user rotates twice; each new password logs in through PgBouncer and directly', async () => {
    const user = `bouncer_${poolMode}_single`;
    await createLogin(server, user, 'bouncer-initial-Pw');
    const secretId = await h.createSecret(
      `pg/bouncer-${poolMode}-single`,
      secretFor(user, 'bouncer-initial-Pw'),
    );
    for (let round = 0; round < 2; round += 1) {
      const record = await h.rotate(secretId, singleFn);
      expect(record.outcome, JSON.stringify(record.steps.filter((step) => !step.ok))).toBe('succeeded');
      const now = credentialsOf(await h.current(secretId));
      expect(await canLogin(bouncerEndpoint(), user, now.password)).toBe(true);
      expect(await canLogin(server, user, now.password)).toBe(true);
    }
  });

  it('alternating users rotates through PgBouncer with the admin behind it too', async () => {
    const user = `bouncer_${poolMode}_alt`;
    await createLogin(server, user, 'bouncer-alt-initial-Pw');
    const secretId = await h.createSecret(
      `pg/bouncer-${poolMode}-alt`,
      secretFor(user, 'bouncer-alt-initial-Pw', { masterarn: adminArn }),
    );
    for (const expected of [`${user}_clone`, user]) {
      const record = await h.rotate(secretId, alternatingFn);
      expect(record.outcome, JSON.stringify(record.steps.filter((step) => !step.ok))).toBe('succeeded');
      const now = credentialsOf(await h.current(secretId));
      expect(now.username).toBe(expected);
      expect(await canLogin(bouncerEndpoint(), expected, now.password)).toBe(true);
    }
  });

  it("leaves no timeout behind on PgBouncer's server connections for the next client", async () => {
    // Every client of this pool shares its few server connections (default_pool_size = 4).
    const rows = await Promise.all(
      Array.from({ length: 4 }, async () => {
        const client = await connect(bouncerEndpoint(), server.adminUser, server.adminPassword);
        try {
          return (
            await client.query(
              "SELECT current_setting('statement_timeout') AS statement, current_setting('lock_timeout') AS lock",
            )
          ).rows[0];
        } finally {
          await client.end();
        }
      }),
    );
    expect(rows).toEqual(Array.from({ length: 4 }, () => ({ statement: '0', lock: '0' })));
  });

  it('still bounds a blocked ALTER ROLE by PG_STATEMENT_TIMEOUT_MS through the pooler', async () => {
    const user = `bouncer_${poolMode}_locked`;
    await createLogin(server, user, 'bouncer-locked-Pw');
    const blocker = await connect(server, server.adminUser, server.adminPassword);
    try {
      await blocker.query('BEGIN');
      await blocker.query(`ALTER ROLE ${user} CONNECTION LIMIT 5`);
      const quick = h.register(`pg-bouncer-${poolMode}-quick`, {
        env: { PG_STATEMENT_TIMEOUT_MS: '400' },
      }).arn;
      const secretId = await h.createSecret(
        `pg/bouncer-${poolMode}-locked`,
        secretFor(user, 'bouncer-locked-Pw'),
      );
      const record = await h.rotate(secretId, quick);
      expect(failedCodes(record)).toEqual([ErrorCode.ERR_TARGET_TIMEOUT]);
      expect(record.steps.find((step) => !step.ok)?.error?.message).toMatch(/ALTER ROLE failed \(timeout\)/);
    } finally {
      await blocker.query('ROLLBACK');
      await blocker.end();
    }
    expect(await canLogin(server, user, 'bouncer-locked-Pw')).toBe(true);
  });

  it('PG_SERVER_TIMEOUTS=off rotates through PgBouncer without any SET', async () => {
    const user = `bouncer_${poolMode}_off`;
    await createLogin(server, user, 'bouncer-off-initial-Pw');
    const off = h.register(`pg-bouncer-${poolMode}-off`, { env: { PG_SERVER_TIMEOUTS: 'off' } }).arn;
    const secretId = await h.createSecret(
      `pg/bouncer-${poolMode}-off`,
      secretFor(user, 'bouncer-off-initial-Pw'),
    );
    const record = await h.rotate(secretId, off);
    expect(record.outcome, JSON.stringify(record.steps.filter((step) => !step.ok))).toBe('succeeded');
    expect(await canLogin(bouncerEndpoint(), user, credentialsOf(await h.current(secretId)).password)).toBe(
      true,
    );
  });

  it('reports a wrong password through PgBouncer (SQLSTATE 08P01) as a wrong password, not a timeout', async () => {
    const user = `bouncer_${poolMode}_wrong`;
    await createLogin(server, user, 'bouncer-real-Pw');
    const secretId = await h.createSecret(`pg/bouncer-${poolMode}-wrong`, secretFor(user, 'not-the-real-Pw'));
    const record = await h.rotate(secretId, singleFn);
    expect(failedCodes(record)).toEqual([ErrorCode.ERR_NO_WORKING_CREDENTIAL]);
    expect(record.steps.find((step) => !step.ok)?.error?.message).toMatch(
      /current \(user "[^"]+"\): wrong password \[ERR_TARGET_AUTH_FAILED\]/,
    );
    await admin(server, [`DROP ROLE ${user}`]);
  });
});

describe('rotation through PgBouncer in front of an md5 server (auth_query returns md5 hashes)', () => {
  let server: PostgresServer;
  let bouncer: PgBouncerServer;
  let h: PgHarness;

  beforeAll(async () => {
    server = await startPostgres({ passwordEncryption: 'md5' });
    bouncer = await startPgBouncer(server, { poolMode: 'transaction' });
    h = await startPgHarness({ rotationRetries: 0 });
  });

  afterAll(async () => {
    await h?.close();
    await bouncer?.destroy();
    await server?.destroy();
  });

  it('keeps the role md5, so PgBouncer md5 authentication goes on working with the new password', async () => {
    const fn = h.register('pg-bouncer-md5-single').arn;
    await createLogin(server, 'bouncer_md5', 'bouncer-md5-initial-Pw');
    const secretId = await h.createSecret('pg/bouncer-md5', {
      engine: 'postgres',
      host: '127.0.0.1',
      port: bouncer.port,
      username: 'bouncer_md5',
      password: 'bouncer-md5-initial-Pw',
      ssl: false,
    });
    const record = await h.rotate(secretId, fn);
    expect(record.outcome, JSON.stringify(record.steps.filter((step) => !step.ok))).toBe('succeeded');
    const now = credentialsOf(await h.current(secretId));
    expect(
      await admin(server, [
        "SELECT left(rolpassword, 3) AS method FROM pg_authid WHERE rolname = 'bouncer_md5'",
      ]),
    ).toEqual([{ method: 'md5' }]);
    expect(await canLogin({ port: bouncer.port }, 'bouncer_md5', now.password)).toBe(true);
  });
});
