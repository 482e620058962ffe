import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode } from '../../../shared/errors.ts';
import { DEFAULT_PASSWORD_POLICY, passwordPolicyViolations } from '../../../shared/password.ts';
import { startPostgres, waitUntil, type PostgresServer } from '../../../scripts/testbed/servers.ts';
import {
  admin,
  canLogin,
  createLogin,
  credentialsOf,
  everything,
  startPgHarness,
  type PgHarness,
} from './postgres-harness.ts';

// Single-user rotation through the emulator's RotateSecret against a real PostgreSQL 15
// (scram-sha-256, log_statement = 'all'). The server has no TLS, so secrets say ssl: false
// or sslmode=disable: plaintext only because it is asked for.
const HOSTILE_PASSWORD = 'In1t#?%&+ p:w/d@"\'\\é';

describe('single-user rotation against a real PostgreSQL', () => {
  let server: PostgresServer;
  let h: PgHarness;
  let fn: string;
  const generated: string[] = [];

  beforeAll(async () => {
    server = await startPostgres({ logStatements: true });
    h = await startPgHarness();
    fn = h.register('pg-single').arn;
    await admin(server, ['CREATE DATABASE appdb']);
  });

  afterAll(async () => {
    await h?.close();
    await server?.destroy();
  });

  async function rotateAndCheck(
    secretId: string,
    old: { username: string; password: string },
    database = 'postgres',
  ) {
    const record = await h.rotate(secretId, fn);
    expect(record.outcome, JSON.stringify(record.steps)).toBe('succeeded');
    const now = credentialsOf(await h.current(secretId));
    generated.push(now.password);
    expect(now.username).toBe(old.username);
    expect(now.password).not.toBe(old.password);
    expect(now.password).toHaveLength(32);
    expect(await canLogin(server, now.username, now.password, database)).toBe(true);
    expect(await canLogin(server, old.username, old.password, database)).toBe(false);
    return now;
  }

  it('rotates an AWS JSON secret twice, keeping every other field', async () => {
    await createLogin(server, 'app_json', 'initial-Pw-1');
    const stored = {
      engine: 'postgres',
      host: '127.0.0.1',
      port: server.port,
      username: 'app_json',
      password: 'initial-Pw-1',
      dbname: 'postgres',
      ssl: false,
      team: 'payments',
    };
    const secretId = await h.createSecret('pg/json', stored);
    const first = await rotateAndCheck(secretId, stored);
    await rotateAndCheck(secretId, first);
    const now = JSON.parse(await h.current(secretId)) as Record<string, unknown>;
    expect({ ...now, password: 'x' }).toEqual({ ...stored, password: 'x' });
  });

  it('rotates the platform variant with database and sslmode', async () => {
    await createLogin(server, 'app_db', 'initial-Pw-2');
    const stored = {
      host: '127.0.0.1',
      port: String(server.port),
      username: 'app_db',
      password: 'initial-Pw-2',
      database: 'appdb',
      sslmode: 'disable',
    };
    const secretId = await h.createSecret('pg/database-variant', stored);
    await rotateAndCheck(secretId, stored, 'appdb');
    expect(JSON.parse(await h.current(secretId))).toMatchObject({
      database: 'appdb',
      port: String(server.port),
      sslmode: 'disable',
    });
  });

  it.each([
    [
      'postgresql',
      (user: string, pw: string, port: number) =>
        `postgresql://${encodeURIComponent(user)}:${encodeURIComponent(pw)}@127.0.0.1:${port}/appdb?sslmode=disable`,
    ],
    [
      'postgres',
      (user: string, pw: string, port: number) =>
        `postgres://${encodeURIComponent(user)}:${encodeURIComponent(pw)}@127.0.0.1:${port}/appdb?sslmode=disable&application_name=svc`,
    ],
    [
      'postgresql+asyncpg',
      (user: string, pw: string, port: number) =>
        `postgresql+asyncpg://${encodeURIComponent(user)}:${encodeURIComponent(pw)}@127.0.0.1:${port}/appdb?ssl=disable`,
    ],
  ])('rotates a %s:// URL whose current password needs percent-encoding', async (scheme, url) => {
    const user = `url_${scheme.replace('+', '_')}`;
    await createLogin(server, user, HOSTILE_PASSWORD);
    const secretId = await h.createSecret(
      `pg/url-${scheme.replace('+', '-')}`,
      url(user, HOSTILE_PASSWORD, server.port),
    );
    await rotateAndCheck(secretId, { username: user, password: HOSTILE_PASSWORD }, 'appdb');
    const text = await h.current(secretId);
    const password = credentialsOf(text).password;
    expect(text).toBe(url(user, password, server.port));
  });

  it.each([
    ['quotes', `O'Brien "the" Admin`],
    ['spaces and capitals', 'Spaces And CAPS'],
    ['unicode', 'ユーザー名-ñ'],
    ['63 bytes', 'x'.repeat(60) + 'end'],
    ['SQL-looking', 'a"; DROP ROLE postgres; --'],
  ])('rotates a hostile username (%s)', async (_name, username) => {
    await createLogin(server, username, 'initial-Pw-3');
    const stored = { host: '127.0.0.1', port: server.port, username, password: 'initial-Pw-3', ssl: false };
    const secretId = await h.createSecret(`pg/hostile-${generated.length}`, stored);
    await rotateAndCheck(secretId, stored);
    expect(await admin(server, [['SELECT 1 FROM pg_roles WHERE rolname = $1', ['postgres']]])).toHaveLength(
      1,
    );
  });

  it("generates passwords with AWS's defaults: 32 characters, none of :/@\"'\\, one of each type", () => {
    expect(generated.length).toBeGreaterThanOrEqual(8);
    for (const password of generated)
      expect(passwordPolicyViolations(password, DEFAULT_PASSWORD_POLICY)).toEqual([]);
  });

  it("honours AWS's password knobs (PASSWORD_LENGTH, EXCLUDE_PUNCTUATION)", async () => {
    const knobs = h.register('pg-single-knobs', {
      env: { PASSWORD_LENGTH: '48', EXCLUDE_PUNCTUATION: 'true' },
    }).arn;
    await createLogin(server, 'app_knobs', 'initial-Pw-4');
    const secretId = await h.createSecret('pg/knobs', {
      host: '127.0.0.1',
      port: server.port,
      username: 'app_knobs',
      password: 'initial-Pw-4',
      ssl: false,
    });
    expect((await h.rotate(secretId, knobs)).outcome).toBe('succeeded');
    const now = credentialsOf(await h.current(secretId));
    expect(now.password).toMatch(/^[A-Za-z0-9]{48}$/);
    expect(await canLogin(server, 'app_knobs', now.password)).toBe(true);
  });

  it('never sends a generated password to the server, while the role logs in with it', async () => {
    const serverLog = await server.readLog();
    expect(generated.length).toBeGreaterThanOrEqual(8);
    expect(serverLog).toMatch(/ALTER ROLE .* WITH PASSWORD 'SCRAM-SHA-256\$4096:/);
    for (const password of generated) expect(serverLog).not.toContain(password);
  });

  it('leaves no connection of its own open', async () => {
    // A backend exits a moment after its client's Terminate message: allow it that moment.
    const open = async () =>
      (
        await admin(server, [
          "SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = 'secrets-rotation'",
        ])
      )[0]?.['n'];
    await waitUntil(async () => (await open()) === 0, {
      what: 'no secrets-rotation backend',
      timeoutMs: 2_000,
    });
    expect(await open()).toBe(0);
  });

  it('never writes a password to a log line or an error', () => {
    const text = everything(h.log, h.emu.rotations);
    for (const password of [
      ...generated,
      HOSTILE_PASSWORD,
      encodeURIComponent(HOSTILE_PASSWORD),
      'initial-Pw-1',
      server.adminPassword,
    ])
      expect(text).not.toContain(password);
  });
});

describe('testSecret with PG_TEST_QUERY', () => {
  let server: PostgresServer;
  let h: PgHarness;

  beforeAll(async () => {
    server = await startPostgres();
    h = await startPgHarness();
    await admin(server, [
      'CREATE TABLE public.inventory (id int)',
      'CREATE TABLE public.secret_table (id int)',
    ]);
  });

  afterAll(async () => {
    await h?.close();
    await server?.destroy();
  });

  async function rotateWith(user: string, testQuery: string) {
    await createLogin(server, user, `${user}-Pw-initial`);
    await admin(server, [`GRANT SELECT ON public.inventory TO ${user}`]);
    const fn = h.register(`pg-testquery-${user}`, { env: { PG_TEST_QUERY: testQuery } }).arn;
    const secretId = await h.createSecret(`pg/testquery-${user}`, {
      host: '127.0.0.1',
      port: server.port,
      username: user,
      password: `${user}-Pw-initial`,
      ssl: false,
    });
    return { record: await h.rotate(secretId, fn), secretId };
  }

  it('passes when the pending user can run the read-only check', async () => {
    const { record } = await rotateWith('tq_ok', 'SELECT 1 FROM public.inventory LIMIT 1');
    expect(record.outcome).toBe('succeeded');
  });

  it('fails with ERR_TEST_FAILED (privileges did not survive) and leaves AWSCURRENT alone', async () => {
    const { record, secretId } = await rotateWith('tq_denied', 'SELECT 1 FROM public.secret_table LIMIT 1');
    expect(record.outcome).toBe('failed');
    const failed = record.steps.find((s) => !s.ok);
    expect(failed).toMatchObject({ step: 'testSecret', error: { code: ErrorCode.ERR_TEST_FAILED } });
    expect(failed?.error?.message).toMatch(
      /PG_TEST_QUERY failed for user "tq_denied".*ERR_TARGET_PERMISSION_DENIED/,
    );
    expect(credentialsOf(await h.current(secretId)).password).toBe('tq_denied-Pw-initial');
  });

  it('runs the check in a read-only transaction, so a writing check fails and writes nothing', async () => {
    const { record } = await rotateWith('tq_write', 'CREATE TABLE public.should_not_exist (id int)');
    expect(record.steps.find((s) => !s.ok)).toMatchObject({
      step: 'testSecret',
      error: { code: ErrorCode.ERR_TEST_FAILED },
    });
    expect(
      await admin(server, ["SELECT 1 FROM pg_tables WHERE tablename = 'should_not_exist'"]),
    ).toHaveLength(0);
  });
});
