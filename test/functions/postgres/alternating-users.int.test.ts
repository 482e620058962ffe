import { DescribeSecretCommand } from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Sensitive } from '../../../shared/sensitive.ts';
import { ErrorCode } from '../../../shared/errors.ts';
import type { PgConnector } from '../../../functions/postgres/pg-connector.ts';
import type { RdsPort } from '../../../functions/postgres/rds-port.ts';
import { startPostgres, type PostgresServer } from '../../../scripts/testbed/servers.ts';
import {
  admin,
  canLogin,
  connect,
  createLogin,
  credentialsOf,
  everything,
  failedCodes,
  run,
  startPgHarness,
  superuserSecret,
  type PgHarness,
} from './postgres-harness.ts';

// Alternating users through the emulator's RotateSecret against a real PostgreSQL 15 with
// log_statement = 'all': AWS's `_clone` naming, the owner-role naming, emergency
// revocation, an RDS-managed admin secret and bad admin secrets.

describe('alternating-users rotation against a real PostgreSQL', () => {
  let server: PostgresServer;
  let h: PgHarness;
  let cloneFn: string;
  let rdsManagedFn: string;
  let ownerFn: string;
  let crashFn: string;
  const armed = { beforeCommit: 0, afterCommit: 0 };
  const crashing = (base: PgConnector): PgConnector => ({
    async connect(endpoint, credential) {
      const session = await base.connect(endpoint, credential);
      return {
        close: () => session.close(),
        async query(sql, values, action) {
          if (sql === 'COMMIT' && armed.beforeCommit > 0) {
            armed.beforeCommit -= 1;
            throw new Error('injected crash before COMMIT');
          }
          const rows = await session.query(sql, values, action);
          if (sql === 'COMMIT' && armed.afterCommit > 0) {
            armed.afterCommit -= 1;
            throw new Error('injected crash after COMMIT');
          }
          return rows;
        },
      };
    },
  });
  let adminArn: string;
  const seen: string[] = [];

  const rdsPort = (port: number): RdsPort => ({
    describeDbInstance: async (identifier) =>
      identifier === 'prod-db'
        ? {
            identifier,
            engine: 'postgres',
            endpoint: { host: '127.0.0.1', port },
            masterUsername: 'postgres',
            readReplicaSourceIdentifier: undefined,
            clusterIdentifier: undefined,
            status: 'available',
          }
        : undefined,
    describeDbCluster: async () => undefined,
    resetMasterPassword: async () => {
      throw new Error('not expected');
    },
  });

  beforeAll(async () => {
    server = await startPostgres({ logStatements: true });
    h = await startPgHarness({ rotationRetries: 1 });
    crashFn = h.register('pg-alt-crash', { ports: { connector: crashing } }).arn;
    cloneFn = h.register('pg-alt-clone', { ports: { rds: rdsPort(server.port) } }).arn;
    // An RDS-managed admin secret has no TLS fields: the function's default applies (never the user
    // secret's "ssl": false), so this deployment against a test server without TLS says disable.
    rdsManagedFn = h.register('pg-alt-rds-managed', {
      env: { PG_SSL_MODE: 'disable', PG_RDS_RESOURCE_ARNS: 'arn:aws:rds:us-east-1:123456789012:db:prod-db' },
      ports: { rds: rdsPort(server.port) },
    }).arn;
    ownerFn = h.register('pg-alt-owner', { env: { PG_ALTERNATING_NAMING: 'owner-role' } }).arn;
    adminArn = await h.createSecret('pg/admin', superuserSecret(server));
  });

  afterAll(async () => {
    await h?.close();
    await server?.destroy();
  });

  async function rotate(secretId: string, fn: string) {
    const record = await h.rotate(secretId, fn);
    expect(record.outcome, JSON.stringify(record.steps.filter((s) => !s.ok))).toBe('succeeded');
    const now = credentialsOf(await h.current(secretId));
    seen.push(now.password);
    return now;
  }

  it('flips between <user> and <user>_clone; the replaced login keeps working until the next rotation', async () => {
    await createLogin(server, 'alt_app', 'alt-initial-Pw');
    const stored = {
      engine: 'postgres',
      host: '127.0.0.1',
      port: server.port,
      username: 'alt_app',
      password: 'alt-initial-Pw',
      masterarn: adminArn,
      ssl: false,
      team: 'x',
    };
    const secretId = await h.createSecret('pg/alt-clone', stored);
    const first = await rotate(secretId, cloneFn);
    expect(first.username).toBe('alt_app_clone');
    expect(await canLogin(server, 'alt_app_clone', first.password)).toBe(true);
    expect(await canLogin(server, 'alt_app', 'alt-initial-Pw')).toBe(true);
    // AWS's clone is a member of the original user, created once.
    expect(
      await admin(server, [
        "SELECT 1 FROM pg_auth_members m JOIN pg_roles r ON r.oid = m.roleid JOIN pg_roles u ON u.oid = m.member WHERE r.rolname = 'alt_app' AND u.rolname = 'alt_app_clone'",
      ]),
    ).toHaveLength(1);
    const second = await rotate(secretId, cloneFn);
    expect(second.username).toBe('alt_app');
    expect(await canLogin(server, 'alt_app', second.password)).toBe(true);
    expect(await canLogin(server, 'alt_app', 'alt-initial-Pw')).toBe(false);
    expect(await canLogin(server, 'alt_app_clone', first.password)).toBe(true);
    const third = await rotate(secretId, cloneFn);
    expect(await canLogin(server, 'alt_app_clone', third.password)).toBe(true);
    expect(await canLogin(server, 'alt_app_clone', first.password)).toBe(false);
    expect(JSON.parse(await h.current(secretId))).toMatchObject({
      masterarn: adminArn,
      team: 'x',
      ssl: false,
    });
  });

  it('rotates a postgresql+asyncpg URL and the database/sslmode JSON variant', async () => {
    await createLogin(server, 'alt_url', 'alt-url-initial-Pw#%');
    const url = (user: string, password: string) =>
      `postgresql+asyncpg://${encodeURIComponent(user)}:${encodeURIComponent(password)}@127.0.0.1:${server.port}/postgres?ssl=disable&masterarn=${encodeURIComponent(adminArn)}`;
    const urlSecret = await h.createSecret('pg/alt-url', url('alt_url', 'alt-url-initial-Pw#%'));
    const fromUrl = await rotate(urlSecret, cloneFn);
    expect(fromUrl.username).toBe('alt_url_clone');
    expect(await h.current(urlSecret)).toBe(url('alt_url_clone', fromUrl.password));
    expect(await canLogin(server, 'alt_url_clone', fromUrl.password)).toBe(true);
    expect(await canLogin(server, 'alt_url', 'alt-url-initial-Pw#%')).toBe(true);

    await admin(server, ['CREATE DATABASE altdb']);
    await createLogin(server, 'alt_variant', 'alt-variant-initial-Pw');
    const variant = await h.createSecret('pg/alt-variant', {
      host: '127.0.0.1',
      port: String(server.port),
      username: 'alt_variant',
      password: 'alt-variant-initial-Pw',
      database: 'altdb',
      sslmode: 'disable',
      masterarn: adminArn,
    });
    const fromVariant = await rotate(variant, cloneFn);
    expect(await canLogin(server, 'alt_variant_clone', fromVariant.password, 'altdb')).toBe(true);
  });

  it.each([
    ['before', 'beforeCommit'],
    ['after', 'afterCommit'],
  ] as const)('recovers by retry from a crash %s the admin transaction commits', async (_when, fault) => {
    const username = `alt_crash_${fault.toLowerCase()}`;
    await createLogin(server, username, 'alt-crash-initial-Pw');
    const secretId = await h.createSecret(`pg/alt-crash-${fault}`, {
      host: '127.0.0.1',
      port: server.port,
      username,
      password: 'alt-crash-initial-Pw',
      masterarn: adminArn,
      ssl: false,
    });
    armed[fault] = 1;
    const record = await h.rotate(secretId, crashFn);
    expect(record.outcome).toBe('succeeded');
    expect(record.attempts).toBe(2);
    expect(record.steps.filter((s) => !s.ok).map((s) => s.step)).toEqual(['setSecret']);
    const now = credentialsOf(await h.current(secretId));
    seen.push(now.password);
    expect(await canLogin(server, `${username}_clone`, now.password)).toBe(true);
    expect(await canLogin(server, username, 'alt-crash-initial-Pw')).toBe(true);
  });

  it('owner-role mode: a table created under one login is readable and writable under the other after two rotations', async () => {
    await createLogin(server, 'shop', 'shop-initial-Pw');
    const secretId = await h.createSecret('pg/alt-owner', {
      host: '127.0.0.1',
      port: server.port,
      username: 'shop',
      password: 'shop-initial-Pw',
      masterarn: adminArn,
      ssl: false,
    });
    const first = await rotate(secretId, ownerFn);
    expect(first.username).toBe('shop_clone');
    // A grant made to the owner role reaches both logins.
    await admin(server, ['CREATE SCHEMA shopdata', 'GRANT USAGE, CREATE ON SCHEMA shopdata TO shop_owner']);
    await run(server, 'shop_clone', first.password, [
      'CREATE TABLE shopdata.orders (id int primary key, item text)',
      "INSERT INTO shopdata.orders VALUES (1, 'made by clone')",
    ]);
    const second = await rotate(secretId, ownerFn);
    expect(second.username).toBe('shop');
    const rows = await run(server, 'shop', second.password, [
      "INSERT INTO shopdata.orders VALUES (2, 'made by shop')",
      "UPDATE shopdata.orders SET item = item || ' and updated' WHERE id = 1",
      'CREATE TABLE shopdata.returns (id int)',
      'INSERT INTO shopdata.returns VALUES (7)',
      'SELECT id, item FROM shopdata.orders ORDER BY id',
    ]);
    expect(rows).toEqual([
      { id: 1, item: 'made by clone and updated' },
      { id: 2, item: 'made by shop' },
    ]);
    // And back: the clone (still valid until the next rotation) uses what shop created.
    expect(
      await run(server, 'shop_clone', first.password, [
        'INSERT INTO shopdata.returns VALUES (8)',
        'SELECT count(*)::int AS n FROM shopdata.returns',
      ]),
    ).toEqual([{ n: 2 }]);
    const owners = await admin(server, [
      "SELECT tablename, tableowner FROM pg_tables WHERE schemaname = 'shopdata' ORDER BY tablename",
    ]);
    expect(owners).toEqual([
      { tablename: 'orders', tableowner: 'shop_owner' },
      { tablename: 'returns', tableowner: 'shop_owner' },
    ]);
    expect(await admin(server, ["SELECT rolcanlogin FROM pg_roles WHERE rolname = 'shop_owner'"])).toEqual([
      { rolcanlogin: false },
    ]);
  });

  it('rotates hostile usernames in both namings', async () => {
    // 57 bytes + "_clone" is exactly PostgreSQL's 63-byte limit.
    for (const [fn, username] of [
      [cloneFn, `Ünï "Q" o'user`],
      [ownerFn, 'Mixed Case; DROP'],
      [cloneFn, 'v'.repeat(57)],
    ] as const) {
      await createLogin(server, username, 'hostile-initial-Pw');
      const secretId = await h.createSecret(`pg/alt-hostile-${seen.length}`, {
        host: '127.0.0.1',
        port: server.port,
        username,
        password: 'hostile-initial-Pw',
        masterarn: adminArn,
        ssl: false,
      });
      const first = await rotate(secretId, fn);
      expect(first.username).toBe(`${username}_clone`);
      const second = await rotate(secretId, fn);
      expect(second.username).toBe(username);
      expect(await canLogin(server, username, second.password)).toBe(true);
      expect(await canLogin(server, `${username}_clone`, first.password)).toBe(true);
    }
  });

  it('emergency: revokes the previous login at once (unstored password, sessions terminated) and removes the tag', async () => {
    await createLogin(server, 'leaky', 'leaky-initial-Pw');
    const secretId = await h.createSecret('pg/alt-emergency', {
      host: '127.0.0.1',
      port: server.port,
      username: 'leaky',
      password: 'leaky-initial-Pw',
      masterarn: adminArn,
      ssl: false,
    });
    const held = await connect(server, 'leaky', 'leaky-initial-Pw');
    expect(await held.query('SELECT 1 AS ok')).toMatchObject({ rows: [{ ok: 1 }] });
    await h.tag(secretId, { RotationMode: 'emergency' });
    const now = await rotate(secretId, cloneFn);
    expect(now.username).toBe('leaky_clone');
    expect(await canLogin(server, 'leaky_clone', now.password)).toBe(true);
    expect(await canLogin(server, 'leaky', 'leaky-initial-Pw')).toBe(false);
    await expect(held.query('SELECT 1')).rejects.toThrow(/terminat|connection error/);
    expect(
      await admin(server, ["SELECT count(*)::int AS n FROM pg_stat_activity WHERE usename = 'leaky'"]),
    ).toEqual([{ n: 0 }]);
    const tags = (await h.sm.send(new DescribeSecretCommand({ SecretId: secretId }))).Tags ?? [];
    expect(tags.map((t) => t.Key)).not.toContain('RotationMode');
    // The next rotation gives the scrambled login a stored password again.
    const next = await rotate(secretId, cloneFn);
    expect(next.username).toBe('leaky');
    expect(await canLogin(server, 'leaky', next.password)).toBe(true);
  });

  it('resolves an RDS-managed admin secret (only username and password) through the RDS API', async () => {
    await createLogin(server, 'rds_app', 'rds-initial-Pw');
    const managed = await h.createSecret(
      'rds-db-0123',
      { username: server.adminUser, password: server.adminPassword },
      { 'aws:rds:primaryDBInstanceArn': 'arn:aws:rds:us-east-1:123456789012:db:prod-db' },
    );
    const secretId = await h.createSecret('pg/alt-rds-managed', {
      host: '127.0.0.1',
      port: server.port,
      username: 'rds_app',
      password: 'rds-initial-Pw',
      masterarn: managed,
      ssl: false,
    });
    const now = await rotate(secretId, rdsManagedFn);
    expect(await canLogin(server, 'rds_app_clone', now.password)).toBe(true);
  });

  it('refuses an RDS-managed admin secret whose database is not one the function was deployed for', async () => {
    // The RDS tag names another instance: the function may not even describe it.
    await createLogin(server, 'rds_other', 'rds-other-initial-Pw');
    const managed = await h.createSecret(
      'rds-db-other',
      { username: server.adminUser, password: server.adminPassword },
      { 'aws:rds:primaryDBInstanceArn': 'arn:aws:rds:us-east-1:123456789012:db:payments-db' },
    );
    const secretId = await h.createSecret('pg/alt-rds-other', {
      host: '127.0.0.1',
      port: server.port,
      username: 'rds_other',
      password: 'rds-other-initial-Pw',
      masterarn: managed,
      ssl: false,
    });
    const before = await h.current(secretId);
    const record = await h.rotate(secretId, rdsManagedFn);
    expect(record.outcome).toBe('failed');
    expect(failedCodes(record)).toContain('ERR_TARGET_NOT_ALLOWED');
    expect(await h.current(secretId)).toBe(before);
    expect(await canLogin(server, 'rds_other', 'rds-other-initial-Pw')).toBe(true);
  });

  it('never sends a generated password to the server', async () => {
    const serverLog = await server.readLog();
    expect(serverLog).toMatch(/CREATE ROLE .* WITH LOGIN PASSWORD 'SCRAM-SHA-256\$4096:/);
    expect(seen.length).toBeGreaterThanOrEqual(10);
    for (const password of seen) expect(serverLog).not.toContain(password);
  });

  describe('bad admin secrets change nothing', () => {
    async function expectAdminRejected(name: string, masterarn: string, pattern: RegExp) {
      const username = `bad_admin_${name}`;
      await createLogin(server, username, 'bad-admin-user-Pw');
      const secretId = await h.createSecret(`pg/alt-bad-${name}`, {
        host: '127.0.0.1',
        port: server.port,
        username,
        password: 'bad-admin-user-Pw',
        masterarn,
        ssl: false,
      });
      const before = await h.current(secretId);
      const record = await h.rotate(secretId, cloneFn);
      expect(record.outcome).toBe('failed');
      const failed = record.steps.find((s) => !s.ok);
      expect(failed?.step).toBe('setSecret');
      expect(failed?.error?.code).toBe(ErrorCode.ERR_ADMIN_SECRET_INVALID);
      expect(failed?.error?.message).toMatch(pattern);
      expect(await h.current(secretId)).toBe(before);
      expect(
        await admin(server, [['SELECT 1 FROM pg_roles WHERE rolname = $1', [`${username}_clone`]]]),
      ).toHaveLength(0);
      expect(await canLogin(server, username, 'bad-admin-user-Pw')).toBe(true);
    }

    it('rejects a masterarn that does not exist', async () => {
      await expectAdminRejected(
        'missing',
        'arn:aws:secretsmanager:us-east-1:123456789012:secret:nope-AbCdEf',
        /does not exist/,
      );
    });

    it('rejects an admin secret whose password is wrong, naming the reason', async () => {
      const wrong = await h.createSecret('pg/admin-wrong', {
        host: '127.0.0.1',
        port: server.port,
        username: server.adminUser,
        password: 'wrong-admin-Pw',
        ssl: false,
      });
      await expectAdminRejected('wrongpw', wrong, /wrong password.*admin credentials, user "postgres"/);
    });

    it('rejects an admin secret for another host', async () => {
      const elsewhere = await h.createSecret('pg/admin-elsewhere', {
        host: '127.0.0.2',
        port: server.port,
        username: server.adminUser,
        password: server.adminPassword,
        ssl: false,
      });
      await expectAdminRejected('host', elsewhere, /127\.0\.0\.2 is neither the user's host/);
    });

    it('rejects an admin secret that is not a PostgreSQL secret', async () => {
      const junk = await h.createSecret('pg/admin-junk', {
        engine: 'mysql',
        host: '127.0.0.1',
        username: 'root',
        password: 'x',
      });
      await expectAdminRejected('junk', junk, /ERR_UNSUPPORTED_ENGINE/);
    });
  });

  it('refuses a user name whose _clone would pass 63 bytes, before storing anything', async () => {
    const username = 'u'.repeat(60);
    await createLogin(server, username, 'long-initial-Pw');
    const secretId = await h.createSecret('pg/alt-long', {
      host: '127.0.0.1',
      port: server.port,
      username,
      password: 'long-initial-Pw',
      masterarn: adminArn,
      ssl: false,
    });
    const record = await h.rotate(secretId, cloneFn);
    expect(record.outcome).toBe('failed');
    expect(record.steps.find((s) => !s.ok)).toMatchObject({
      step: 'createSecret',
      error: { code: ErrorCode.ERR_SECRET_MALFORMED },
    });
  });

  it('never writes a password to a log line or an error', () => {
    const text = everything(h.log, h.emu.rotations);
    for (const password of [
      ...seen,
      server.adminPassword,
      'wrong-admin-Pw',
      'alt-initial-Pw',
      'shop-initial-Pw',
    ])
      expect(text).not.toContain(password);
    expect(new Sensitive('x').toString()).toBe('[redacted]');
  });
});
