/**
 * PgBouncer (Debian's `pgbouncer`, 1.18 here) in front of a test-bed PostgreSQL, the way
 * RDS users deploy it: clients log in to PgBouncer with their own database user and
 * password, which PgBouncer checks through `auth_query` (a SECURITY DEFINER lookup of
 * pg_shadow run as a dedicated `auth_user`), so a rotated password is honoured without
 * editing any file. `auth_type = md5` accepts md5 hashes and SCRAM verifiers alike (SCRAM
 * is used for a role that has a SCRAM verifier). Default startup parameters: PgBouncer
 * refuses any it does not track (`statement_timeout`, `options`, ...), as deployed. It runs
 * as the `postgres` OS user (PgBouncer refuses root), in the foreground, a child of the test
 * process, on a random loopback port.
 *
 *   const bouncer = await startPgBouncer(server, { poolMode: 'transaction' });
 *   // connect to 127.0.0.1:bouncer.port with any role of `server`
 *   afterAll(() => bouncer.destroy());
 */
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import pg from 'pg';
import { INSTALL_HINTS, requireBinary } from './binaries.ts';
import { ManagedProcess } from './managed-process.ts';
import type { PostgresServer } from './postgres-server.ts';
import { assertReachable, give, postgresOsUser, scramVerifier } from './postgres-template.ts';
import { waitUntil, withFreshPortOnConflict } from './ports.ts';
import { makeWorkDir } from './work-dir.ts';

export const AUTH_USER = 'pgbouncer_auth';

export interface StartPgBouncerOptions {
  /** `session` (a server connection per client) or `transaction` (per transaction). */
  readonly poolMode: 'session' | 'transaction';
}

export interface PgBouncerServer {
  readonly host: '127.0.0.1';
  readonly port: number;
  readonly poolMode: 'session' | 'transaction';
  readonly logPath: string;
  readLog(): Promise<string>;
  /** Stop for good and remove its folder; the lookup function stays in PostgreSQL. */
  destroy(): Promise<void>;
}

/** The auth_user and its lookup function, created once per PostgreSQL server (idempotent). */
async function prepareAuthQuery(server: PostgresServer, authPassword: string): Promise<void> {
  const client = new pg.Client({
    host: server.host,
    port: server.port,
    user: server.adminUser,
    password: server.adminPassword,
    database: server.database,
    ssl: false,
    options: '-c log_statement=none',
  });
  client.on('error', () => undefined);
  await client.connect();
  try {
    const exists = await client.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [AUTH_USER]);
    await client.query(
      `${exists.rowCount ? 'ALTER' : 'CREATE'} ROLE ${AUTH_USER} LOGIN PASSWORD ${client.escapeLiteral(scramVerifier(authPassword))}`,
    );
    await client.query('CREATE SCHEMA IF NOT EXISTS pgbouncer');
    await client.query(`CREATE OR REPLACE FUNCTION pgbouncer.user_lookup(in i_username text, out uname text, out phash text)
      RETURNS record LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog
      AS $$ SELECT usename::text, passwd::text FROM pg_catalog.pg_shadow WHERE usename = i_username $$`);
    await client.query('REVOKE ALL ON FUNCTION pgbouncer.user_lookup(text) FROM PUBLIC');
    await client.query(`GRANT USAGE ON SCHEMA pgbouncer TO ${AUTH_USER}`);
    await client.query(`GRANT EXECUTE ON FUNCTION pgbouncer.user_lookup(text) TO ${AUTH_USER}`);
  } finally {
    await client.end().catch(() => undefined);
  }
}

function iniFile(server: PostgresServer, port: number, base: string, options: StartPgBouncerOptions): string {
  return [
    '; Written by scripts/testbed/pgbouncer-server.ts',
    '[databases]',
    `* = host=${server.host} port=${server.port}`,
    '[pgbouncer]',
    'listen_addr = 127.0.0.1',
    `listen_port = ${port}`,
    'unix_socket_dir =',
    'auth_type = md5',
    `auth_file = ${path.join(base, 'userlist.txt')}`,
    `auth_user = ${AUTH_USER}`,
    'auth_query = SELECT uname, phash FROM pgbouncer.user_lookup($1)',
    `pool_mode = ${options.poolMode}`,
    'max_client_conn = 200',
    'default_pool_size = 4',
    'server_tls_sslmode = disable',
    'log_connections = 1',
    'log_disconnections = 1',
    '',
  ].join('\n');
}

export async function startPgBouncer(
  server: PostgresServer,
  options: StartPgBouncerOptions,
): Promise<PgBouncerServer> {
  const binary = requireBinary('pgbouncer', INSTALL_HINTS.pgbouncer);
  const user = postgresOsUser();
  const work = makeWorkDir('pgbouncer');
  const base = work.path;
  try {
    assertReachable(base, user);
    give(base, user, 0o755);
    const authPassword = randomBytes(18).toString('base64url');
    await prepareAuthQuery(server, authPassword);
    const userlist = path.join(base, 'userlist.txt');
    writeFileSync(userlist, `"${AUTH_USER}" "${authPassword}"\n`, { mode: 0o600 });
    give(userlist, user, 0o600);
    const iniPath = path.join(base, 'pgbouncer.ini');
    const logPath = path.join(base, 'pgbouncer.log');
    const { server: process, port } = await withFreshPortOnConflict(logPath, async (candidate) => {
      writeFileSync(iniPath, iniFile(server, candidate, base, options));
      give(iniPath, user, 0o644);
      const created = new ManagedProcess({
        command: binary,
        args: [iniPath],
        logPath,
        cwd: base,
        ...(user === undefined ? {} : { user }),
        stopSignal: 'SIGINT',
        deathSignal: 'SIGTERM',
      });
      await created.spawn();
      let exitCode: number | null | undefined;
      void created.whenExited().then((code) => (exitCode = code));
      await waitUntil(
        async () => {
          if (exitCode !== undefined) {
            const tail = (await readFile(logPath, 'utf8')).split('\n').slice(-8).join('\n');
            throw new Error(
              `pgbouncer exited (code ${String(exitCode)}) on 127.0.0.1:${candidate}:\n${tail}`,
            );
          }
          return (await readFile(logPath, 'utf8')).includes(`listening on 127.0.0.1:${candidate}`);
        },
        { what: `PgBouncer on 127.0.0.1:${candidate} to listen (log: ${logPath})`, timeoutMs: 10_000 },
      ).catch(async (error: unknown) => {
        await created.stop();
        throw error;
      });
      return created;
    });
    return {
      host: '127.0.0.1',
      port,
      poolMode: options.poolMode,
      logPath,
      readLog: async () => await readFile(logPath, 'utf8'),
      destroy: async () => {
        await process.stop();
        work.remove();
      },
    };
  } catch (error) {
    work.remove();
    throw error;
  }
}
