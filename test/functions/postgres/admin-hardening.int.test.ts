import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PgConnector } from '../../../functions/postgres/pg-connector.ts';
import { startPostgres, type PostgresServer, type TlsMaterial } from '../../../scripts/testbed/servers.ts';
import {
  admin,
  canLogin,
  createLogin,
  credentialsOf,
  everything,
  failedCodes,
  run,
  startPgHarness,
  superuserSecret,
  type PgHarness,
} from './postgres-harness.ts';

// Issue 14, attacks 2 and 3, against real PostgreSQL 15 servers with a real superuser as the
// admin. An application user that owns its database turns the admin session against the
// server (a hostile `public.=` operator and a `public.count(boolean)` aggregate behind an
// `ALTER DATABASE … SET search_path`), or makes the admin log in in plaintext (`"ssl": false`
// on the user secret). Neither may work.

describe('the admin session in a database the rotated user owns', () => {
  let server: PostgresServer;
  let h: PgHarness;
  let fn: string;
  let adminArn: string;
  const USER = 'esc_app';
  const DB = 'esc_db';
  const PASSWORD = 'esc-initial-Pw-0001';

  /** As the user, in its own database: a hostile operator and aggregate, and a search_path that prefers them. */
  const HOSTILE_SQL = [
    'CREATE TABLE public.calls (who text NOT NULL, what text NOT NULL)',
    `CREATE FUNCTION public.hostile(what text) RETURNS void LANGUAGE plpgsql AS $$
     BEGIN
       INSERT INTO public.calls (who, what) VALUES (current_user, what);
       IF (SELECT rolsuper FROM pg_catalog.pg_roles WHERE rolname OPERATOR(pg_catalog.=) current_user) THEN
         EXECUTE 'ALTER ROLE ${USER} SUPERUSER';
       END IF;
     END $$`,
    `CREATE FUNCTION public.hostile_eq(a name, b name) RETURNS boolean LANGUAGE plpgsql AS $$
     BEGIN PERFORM public.hostile('='); RETURN a OPERATOR(pg_catalog.=) b; END $$`,
    'CREATE OPERATOR public.= (LEFTARG = name, RIGHTARG = name, FUNCTION = public.hostile_eq)',
    `CREATE FUNCTION public.hostile_count(n bigint, x boolean) RETURNS bigint LANGUAGE plpgsql AS $$
     BEGIN PERFORM public.hostile('count'); RETURN n OPERATOR(pg_catalog.+) 1; END $$`,
    "CREATE AGGREGATE public.count(boolean) (SFUNC = public.hostile_count, STYPE = bigint, INITCOND = '0')",
    `ALTER DATABASE ${DB} SET search_path = public, pg_catalog`,
  ];

  beforeAll(async () => {
    server = await startPostgres({ logStatements: true });
    h = await startPgHarness({ rotationRetries: 0 });
    fn = h.register('pg-hardening', { env: { PG_SSL_MODE: 'disable' } }).arn;
    adminArn = await h.createSecret('pg/hardening-admin', superuserSecret(server));
    await createLogin(server, USER, PASSWORD);
    await admin(server, [`CREATE DATABASE ${DB} OWNER ${USER}`]);
    await run(server, USER, PASSWORD, HOSTILE_SQL, DB);
    // The trap works: a superuser running unqualified catalog SQL there is caught by it.
    expect(await admin(server, ['SELECT rolsuper FROM pg_roles WHERE rolname = current_user'], DB)).toEqual([
      { rolsuper: true },
    ]);
    await admin(server, [`ALTER ROLE ${USER} NOSUPERUSER`, 'TRUNCATE public.calls'], DB);
  });

  afterAll(async () => {
    await h?.close();
    await server?.destroy();
  });

  async function escalated(): Promise<{ superuser: unknown; adminCalls: unknown[] }> {
    const [role] = await admin(server, [
      [`SELECT rolsuper FROM pg_catalog.pg_roles WHERE rolname OPERATOR(pg_catalog.=) $1`, [USER]],
    ]);
    const calls = await admin(
      server,
      [['SELECT who, what FROM public.calls WHERE who OPERATOR(pg_catalog.<>) $1 ORDER BY what', [USER]]],
      DB,
    );
    return { superuser: role?.['rolsuper'], adminCalls: calls };
  }

  it('rotates (setSecret as admin) and an emergency rotation (finishSecret as admin) without running anything the user defined', async () => {
    const secretId = await h.createSecret('pg/hardening-user', {
      engine: 'postgres',
      host: '127.0.0.1',
      port: server.port,
      username: USER,
      password: PASSWORD,
      dbname: DB,
      masterarn: adminArn,
      ssl: false,
    });
    const first = await h.rotate(secretId, fn);
    expect(await escalated()).toEqual({ superuser: false, adminCalls: [] });
    expect(first.outcome, JSON.stringify(failedCodes(first))).toBe('succeeded');
    const clone = credentialsOf(await h.current(secretId));
    expect(clone.username).toBe(`${USER}_clone`);
    expect(await canLogin(server, clone.username, clone.password)).toBe(true);

    await h.tag(secretId, { RotationMode: 'emergency' });
    const second = await h.rotate(secretId, fn);
    expect(await escalated()).toEqual({ superuser: false, adminCalls: [] });
    expect(second.outcome, JSON.stringify(failedCodes(second))).toBe('succeeded');
    expect(everything(h.log, h.emu.rotations)).not.toContain(server.adminPassword);
  });

  it('pins the admin session search_path before its first catalog statement', async () => {
    const log = await server.readLog();
    // Per transaction by default (SET LOCAL, safe through a transaction pooler); per session with PG_SERVER_TIMEOUTS=off.
    const pins =
      log.match(
        /set_config\('search_path', 'pg_catalog, pg_temp', false\)|SET LOCAL search_path = pg_catalog, pg_temp/g,
      ) ?? [];
    expect(pins.length).toBeGreaterThanOrEqual(2);
  });
});

describe('the admin connection TLS follows the admin secret and the function default, not the user secret', () => {
  let server: PostgresServer;
  let h: PgHarness;
  const sessions: { user: string; ssl: unknown }[] = [];
  const recording = (base: PgConnector): PgConnector => ({
    async connect(endpoint, credential) {
      const session = await base.connect(endpoint, credential);
      const [row] = await session.query(
        'SELECT ssl FROM pg_catalog.pg_stat_ssl WHERE pid OPERATOR(pg_catalog.=) pg_catalog.pg_backend_pid()',
      );
      sessions.push({ user: endpoint.user, ssl: row?.['ssl'] });
      return session;
    },
  });

  beforeAll(async () => {
    // Serves TLS and also accepts plaintext, so only the function's own policy decides.
    server = await startPostgres({ tls: true });
    h = await startPgHarness({ rotationRetries: 0 });
  });

  afterAll(async () => {
    await h?.close();
    await server?.destroy();
  });

  it('logs the admin in over verify-full although the user secret says "ssl": false', async () => {
    const { arn } = h.register('pg-admin-tls', {
      env: { PG_SSL_MODE: 'verify-full', PG_SSL_CA_PATH: (server.tls as TlsMaterial).caPath },
      ports: { connector: recording },
    });
    const adminArn = await h.createSecret('pg/tls-admin', {
      engine: 'postgres',
      host: '127.0.0.1',
      port: server.port,
      username: server.adminUser,
      password: server.adminPassword,
    });
    await createLogin(server, 'tls_user', 'tls-user-initial-Pw');
    const secretId = await h.createSecret('pg/tls-user-plaintext', {
      engine: 'postgres',
      host: '127.0.0.1',
      port: server.port,
      username: 'tls_user',
      password: 'tls-user-initial-Pw',
      masterarn: adminArn,
      ssl: false,
    });
    const record = await h.rotate(secretId, arn);
    const adminSessions = sessions.filter((session) => session.user === server.adminUser);
    expect(adminSessions.length).toBeGreaterThan(0);
    expect(
      adminSessions.every((session) => session.ssl === true),
      JSON.stringify(adminSessions),
    ).toBe(true);
    expect(record.outcome, JSON.stringify(failedCodes(record))).toBe('succeeded');
    // The user's own sessions follow its own secret.
    expect(
      sessions.filter((session) => session.user.startsWith('tls_user')).every((s) => s.ssl === false),
    ).toBe(true);
  });
});

describe("the admin session runs as the admin, whatever role the user's database sets", () => {
  // A database owner can `ALTER DATABASE … SET role = <itself>`: every session in that database,
  // a superuser admin's included (it is a member of every role), then starts as that role, and
  // RESET ROLE only returns to that same default. The admin must run its statements as itself.
  let server: PostgresServer;
  let h: PgHarness;
  let adminArn: string;
  const USER = 'role_app';
  const DB = 'role_db';
  const PASSWORD = 'role-initial-Pw-0001';
  /** current_user and session_user of each admin session, read just before it closes (after all its work). */
  const seen: { current: unknown; session: unknown }[] = [];
  const recording = (base: PgConnector): PgConnector => ({
    async connect(endpoint, credential) {
      const session = await base.connect(endpoint, credential);
      if (credential !== 'admin') return session;
      return {
        query: (sql, values, action) => session.query(sql, values, action),
        async close() {
          const [row] = await session
            .query('SELECT pg_catalog."current_user"() AS current, pg_catalog."session_user"() AS session')
            .catch(() => [undefined]);
          seen.push({ current: row?.['current'], session: row?.['session'] });
          await session.close();
        },
      };
    },
  });

  beforeAll(async () => {
    server = await startPostgres();
    h = await startPgHarness({ rotationRetries: 0 });
    adminArn = await h.createSecret('pg/role-admin', superuserSecret(server));
    await createLogin(server, USER, PASSWORD);
    await admin(server, [`CREATE DATABASE ${DB} OWNER ${USER}`]);
    // The owner, not a superuser, makes every session in its database start as itself.
    await run(server, USER, PASSWORD, [`ALTER DATABASE ${DB} SET role = '${USER}'`], DB);
    // The trap works: a superuser's session there starts as the user.
    expect(await admin(server, ['SELECT current_user AS who'], DB)).toEqual([{ who: USER }]);
  });

  afterAll(async () => {
    await h?.close();
    await server?.destroy();
  });

  it.each([
    ['per transaction (the default, safe through a pooler)', {}],
    ['per session (PG_SERVER_TIMEOUTS=off)', { PG_SERVER_TIMEOUTS: 'off' }],
  ])('rotates as the admin with server settings %s', async (label, env) => {
    seen.length = 0;
    const { arn } = h.register(`pg-role-${label.length}`, {
      env: { PG_SSL_MODE: 'disable', ...env },
      ports: { connector: recording },
    });
    const secretId = await h.createSecret(`pg/role-user-${label.length}`, {
      engine: 'postgres',
      host: '127.0.0.1',
      port: server.port,
      username: USER,
      password: PASSWORD,
      dbname: DB,
      masterarn: adminArn,
      ssl: false,
    });
    const record = await h.rotate(secretId, arn);
    expect(seen.length).toBeGreaterThan(0);
    expect(seen.every((s) => s.current === server.adminUser && s.session === server.adminUser)).toBe(true);
    expect(record.outcome, JSON.stringify(failedCodes(record))).toBe('succeeded');
    const clone = credentialsOf(await h.current(secretId));
    expect(await canLogin(server, clone.username, clone.password, DB)).toBe(true);
  });
});
