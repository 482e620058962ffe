import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode } from '../../../shared/errors.ts';
import type { PgConnector } from '../../../functions/postgres/pg-connector.ts';
import {
  createTlsMaterial,
  startPostgres,
  type PostgresServer,
  type TlsMaterial,
} from '../../../scripts/testbed/servers.ts';
import {
  canLogin,
  createLogin,
  credentialsOf,
  everything,
  startPgHarness,
  type PgHarness,
} from './postgres-harness.ts';

// TLS against a real PostgreSQL that serves TLS and also accepts plaintext, so what these
// tests prove is the function's own policy: verify-full by default, the CA from the secret
// or env, and never a plaintext retry. Every session the function opens records whether
// it is encrypted (pg_stat_ssl).

describe('TLS policy against a real PostgreSQL with TLS', () => {
  let server: PostgresServer;
  let h: PgHarness;
  let otherCa: TlsMaterial;
  let otherDir: string;
  const sessions: { user: string; ssl: unknown }[] = [];

  const recording = (base: PgConnector): PgConnector => ({
    async connect(endpoint, credential) {
      const session = await base.connect(endpoint, credential);
      const [row] = await session.query('SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()');
      sessions.push({ user: endpoint.user, ssl: row?.['ssl'] });
      return session;
    },
  });

  let fn: string;
  let envCaFn: string;

  beforeAll(async () => {
    server = await startPostgres({ tls: true });
    otherDir = mkdtempSync(path.join(tmpdir(), 'pg-other-ca-'));
    otherCa = await createTlsMaterial(otherDir);
    h = await startPgHarness();
    fn = h.register('pg-tls', { ports: { connector: recording } }).arn;
    envCaFn = h.register('pg-tls-env-ca', {
      env: { PG_SSL_CA_PATH: (server.tls as TlsMaterial).caPath },
      ports: { connector: recording },
    }).arn;
  });

  afterAll(async () => {
    await h?.close();
    await server?.destroy();
    if (otherDir) rmSync(otherDir, { recursive: true, force: true });
  });

  async function secretFor(user: string, extra: Record<string, unknown>) {
    const password = `${user}-initial-Pw`;
    await createLogin(server, user, password);
    const stored = {
      engine: 'postgres',
      host: '127.0.0.1',
      port: server.port,
      username: user,
      password,
      ...extra,
    };
    return { secretId: await h.createSecret(`pg/tls-${user}`, stored), stored };
  }

  it('rotates over verify-full with the CA from ssl_cert_path, every session encrypted', async () => {
    const { secretId, stored } = await secretFor('tls_ok', { ssl_cert_path: server.tls?.caPath });
    const record = await h.rotate(secretId, fn);
    expect(record.outcome, JSON.stringify(record.steps)).toBe('succeeded');
    const now = credentialsOf(await h.current(secretId));
    expect(await canLogin(server, 'tls_ok', now.password)).toBe(true);
    expect(await canLogin(server, 'tls_ok', stored.password)).toBe(false);
    const mine = sessions.filter((s) => s.user === 'tls_ok');
    expect(mine.length).toBeGreaterThanOrEqual(2);
    expect(mine.every((s) => s.ssl === true)).toBe(true);
    expect(
      h.log.lines.some((line) => line.includes('"sslMode":"verify-full"') && line.includes('tls_ok')),
    ).toBe(true);
  });

  it('rotates over verify-full with the CA from PG_SSL_CA_PATH when the secret says nothing about TLS', async () => {
    const { secretId } = await secretFor('tls_env', {});
    const record = await h.rotate(secretId, envCaFn);
    expect(record.outcome, JSON.stringify(record.steps)).toBe('succeeded');
    expect(sessions.filter((s) => s.user === 'tls_env').every((s) => s.ssl === true)).toBe(true);
  });

  it.each([
    ['a wrong CA', () => ({ ssl_cert_path: otherCa.caPath }), /TLS failure/],
    ['the default CAs (self-signed server)', () => ({}), /TLS failure/],
    [
      'ssl: true and a wrong CA (AWS style)',
      () => ({ ssl: true, ssl_cert_path: otherCa.caPath }),
      /TLS failure/,
    ],
    [
      'a CA file that does not exist',
      () => ({ ssl_cert_path: '/nonexistent/rds-ca.pem' }),
      /\/nonexistent\/rds-ca\.pem \(from secret ssl_cert_path\) cannot be read/,
    ],
  ])(
    'fails with ERR_TARGET_TLS and never falls back to plaintext, given %s',
    async (name, extra, pattern) => {
      const user = `tls_bad_${name
        .replace(/[^a-z]/gi, '')
        .slice(0, 20)
        .toLowerCase()}`;
      const { secretId, stored } = await secretFor(user, extra());
      const before = await h.current(secretId);
      const record = await h.rotate(secretId, fn);
      expect(record.outcome).toBe('failed');
      const failed = record.steps.find((s) => !s.ok);
      expect(failed).toMatchObject({ step: 'setSecret', error: { code: ErrorCode.ERR_TARGET_TLS } });
      expect(failed?.error?.message).toMatch(pattern);
      expect(sessions.filter((s) => s.user === user)).toEqual([]);
      expect(await h.current(secretId)).toBe(before);
      expect(await canLogin(server, user, stored.password)).toBe(true);
    },
  );

  it('uses TLS without verification only when asked (sslmode require)', async () => {
    const { secretId } = await secretFor('tls_require', { sslmode: 'require' });
    const record = await h.rotate(secretId, fn);
    expect(record.outcome, JSON.stringify(record.steps)).toBe('succeeded');
    const mine = sessions.filter((s) => s.user === 'tls_require');
    expect(mine.length).toBeGreaterThanOrEqual(2);
    expect(mine.every((s) => s.ssl === true)).toBe(true);
  });

  it('uses plaintext only when asked (ssl: false)', async () => {
    const { secretId } = await secretFor('tls_off', { ssl: false });
    const record = await h.rotate(secretId, fn);
    expect(record.outcome).toBe('succeeded');
    expect(sessions.filter((s) => s.user === 'tls_off').every((s) => s.ssl === false)).toBe(true);
  });

  // Issue 14, attack 4: conflicting TLS settings used to rotate in plaintext.
  it.each([
    [
      'JSON "ssl": true with "sslmode": "disable"',
      (user: string, pw: string) =>
        JSON.stringify({
          engine: 'postgres',
          host: '127.0.0.1',
          port: server.port,
          username: user,
          password: pw,
          ssl: true,
          sslmode: 'disable',
        }),
    ],
    [
      'a URL with sslmode=disable&sslmode=verify-full',
      (user: string, pw: string) =>
        `postgresql://${user}:${pw}@127.0.0.1:${server.port}/postgres?sslmode=disable&sslmode=verify-full&sslrootcert=${encodeURIComponent(server.tls?.caPath ?? '')}`,
    ],
  ])('refuses %s with ERR_SECRET_CONFLICT, opening no session', async (name, value) => {
    const user = `tls_conflict_${name.startsWith('JSON') ? 'json' : 'url'}`;
    const password = `${user}-initial-Pw`;
    await createLogin(server, user, password);
    const secretId = await h.createSecret(`pg/tls-${user}`, value(user, password));
    const before = await h.current(secretId);
    const record = await h.rotate(secretId, fn);
    expect(sessions.filter((s) => s.user.startsWith(user))).toEqual([]);
    expect(record.outcome).toBe('failed');
    expect(record.steps.find((s) => !s.ok)?.error?.code).toBe(ErrorCode.ERR_SECRET_CONFLICT);
    expect(await h.current(secretId)).toBe(before);
    expect(await canLogin(server, user, password)).toBe(true);
  });

  it('never writes a password to a log line or an error', () => {
    const text = everything(h.log, h.emu.rotations);
    expect(text).not.toMatch(/initial-Pw/);
  });
});
