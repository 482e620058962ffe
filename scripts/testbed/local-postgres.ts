/**
 * PostgreSQL from the machine's binaries: a copy of the run's template cluster (one `initdb`
 * as the `postgres` OS user, which it insists on; see postgres-template.ts) with its own
 * admin password, scram-sha-256 for local and host connections, `postgres` run in the
 * foreground as the `postgres` user and a child of the test process (see ManagedProcess),
 * fsync off, on a random loopback port.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, copyFileSync, existsSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { appendFile, readFile } from 'node:fs/promises';
import path from 'node:path';
import pg from 'pg';
import { postgresBinaries } from './binaries.ts';
import { ManagedProcess } from './managed-process.ts';
import type { PostgresServer, StartPostgresOptions } from './postgres-server-types.ts';
import {
  assertReachable,
  clusterTemplate,
  copyTemplate,
  give,
  postgresOsUser,
  scramVerifier,
} from './postgres-template.ts';
import { waitUntil, withFreshPortOnConflict } from './ports.ts';
import { createTlsMaterial, type TlsMaterial } from './tls.ts';
import { makeWorkDir } from './work-dir.ts';

const READY_TIMEOUT_MS = 15_000;

function hbaLines(tls: boolean, method: 'scram-sha-256' | 'md5'): string {
  return [
    `# Written by scripts/testbed/local-postgres.ts: password (${method}) auth everywhere, like production.`,
    `local all all ${method}`,
    ...(tls ? [`hostssl all all 127.0.0.1/32 ${method}`, `hostssl all all ::1/128 ${method}`] : []),
    '# `host` also matches TLS connections; plaintext stays allowed so tests prove the client policy.',
    `host all all 127.0.0.1/32 ${method}`,
    `host all all ::1/128 ${method}`,
    '',
  ].join('\n');
}

function serverSettings(
  socketDir: string,
  options: StartPostgresOptions,
  tls: TlsMaterial | undefined,
): string {
  const quote = (value: string): string => `'${value.replaceAll("'", "''")}'`;
  return [
    '',
    '# Test bed settings (scripts/testbed/local-postgres.ts); `port` is appended below.',
    "listen_addresses = '127.0.0.1'",
    `unix_socket_directories = ${quote(socketDir)}`,
    'fsync = off',
    'synchronous_commit = off',
    'full_page_writes = off',
    `password_encryption = '${options.passwordEncryption ?? 'scram-sha-256'}'`,
    'max_connections = 100',
    ...(options.logStatements === true ? ["log_statement = 'all'"] : []),
    ...(tls === undefined
      ? []
      : ['ssl = on', `ssl_cert_file = ${quote(tls.certPath)}`, `ssl_key_file = ${quote(tls.keyPath)}`]),
    '',
  ].join('\n');
}

/**
 * Ready once the log (from `logOffset` on) says so and an admin login succeeds. Waiting for
 * the log line first keeps "the database system is starting up" out of the server log; the
 * login runs no statement, so `log_statement = 'all'` logs nothing for it.
 */
export async function postgresReady(
  port: number,
  password: string,
  logPath: string,
  logOffset: number,
): Promise<boolean> {
  const log = await readFile(logPath);
  if (!log.subarray(logOffset).includes('database system is ready to accept connections')) return false;
  const client = new pg.Client({
    host: '127.0.0.1',
    port,
    user: 'postgres',
    password,
    database: 'postgres',
    connectionTimeoutMillis: 1_000,
  });
  client.on('error', () => undefined);
  try {
    await client.connect();
    return true;
  } catch (error) {
    // A refused password still proves the server is up (a test may have changed it).
    const code = (error as { code?: string }).code;
    if (code === '28P01' || code === '28000') return true;
    throw error;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** Replace the template's admin password with this server's own (sent as a SCRAM verifier). */
async function setAdminPassword(
  port: number,
  templatePassword: string,
  adminPassword: string,
): Promise<void> {
  // Statement logging is off for this session from its start, so the log shows nothing of it.
  const client = new pg.Client({
    host: '127.0.0.1',
    port,
    user: 'postgres',
    password: templatePassword,
    database: 'postgres',
    connectionTimeoutMillis: 5_000,
    options: '-c log_statement=none',
  });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.query(`ALTER ROLE postgres PASSWORD ${client.escapeLiteral(scramVerifier(adminPassword))}`);
  } finally {
    await client.end().catch(() => undefined);
  }
}

export async function startLocalPostgres(options: StartPostgresOptions): Promise<PostgresServer> {
  const binaries = postgresBinaries();
  const user = postgresOsUser();
  const work = makeWorkDir('pg');
  const base = work.path;
  try {
    assertReachable(base, user);
    give(base, user, 0o755);
    const adminPassword = randomBytes(18).toString('base64url');
    const dataDir = path.join(base, 'data');
    // TLS material is made while the template is copied (they do not depend on each other).
    const tlsDir = path.join(base, 'tls');
    const [template, tls] = await Promise.all([
      clusterTemplate().then(async (made) => (await copyTemplate(made, dataDir), made)),
      options.tls === true
        ? (mkdirSync(tlsDir, { mode: 0o755 }), createTlsMaterial(tlsDir, { ca: 'shared' }))
        : Promise.resolve(undefined),
    ]);
    if (tls !== undefined) {
      // PostgreSQL insists the key be owned by its user and not readable by others.
      for (const file of [tls.certPath, tls.keyPath, tls.caPath])
        give(file, user, file === tls.keyPath ? 0o600 : 0o644);
    }

    writeFileSync(
      path.join(dataDir, 'pg_hba.conf'),
      hbaLines(tls !== undefined, options.passwordEncryption ?? 'scram-sha-256'),
    );
    const configPath = path.join(dataDir, 'postgresql.conf');
    await appendFile(configPath, serverSettings(base, options, tls));
    const logPath = path.join(base, 'postgres.log');
    // The password readiness checks log in with: the template's until this server has its own.
    // Logging in successfully keeps "password authentication failed" lines out of the log.
    let probePassword = template.password;

    const startOn = async (server: ManagedProcess, port: number): Promise<void> => {
      if (server.running) return;
      const logOffset = existsSync(logPath) ? statSync(logPath).size : 0;
      await server.spawn();
      let exitCode: number | null | undefined;
      void server.whenExited().then((code) => (exitCode = code));
      await waitUntil(
        async () => {
          if (exitCode !== undefined) {
            const tail = (await readFile(logPath, 'utf8')).split('\n').slice(-8).join('\n');
            throw new Error(
              `postgres exited (code ${String(exitCode)}) before accepting connections on 127.0.0.1:${port}; log tail:\n${tail}`,
            );
          }
          return await postgresReady(port, probePassword, logPath, logOffset);
        },
        {
          what: `PostgreSQL on 127.0.0.1:${port} to accept connections (log: ${logPath})`,
          timeoutMs: READY_TIMEOUT_MS,
          intervalMs: 25,
        },
      ).catch(async (error: unknown) => {
        await server.stop();
        throw error;
      });
    };

    // The free port can be taken between asking for it and the server binding it: try another
    // (a later `port` line in postgresql.conf overrides an earlier one).
    const { server, port } = await withFreshPortOnConflict(logPath, async (candidate) => {
      await appendFile(configPath, `port = ${candidate}\n`);
      const created = new ManagedProcess({
        command: binaries.postgres,
        args: ['-D', dataDir],
        logPath,
        cwd: base,
        ...(user === undefined ? {} : { user }),
        // SIGINT is PostgreSQL's fast shutdown; SIGQUIT its immediate one (for a dying parent).
        stopSignal: 'SIGINT',
        deathSignal: 'SIGQUIT',
      });
      await startOn(created, candidate);
      return created;
    });
    const start = async (): Promise<void> => await startOn(server, port);
    try {
      await setAdminPassword(port, template.password, adminPassword);
      probePassword = adminPassword;
    } catch (error) {
      await server.stop();
      throw error;
    }
    const stopServer = async (): Promise<void> => await server.stop();
    return {
      host: '127.0.0.1',
      port,
      adminUser: 'postgres',
      adminPassword,
      database: 'postgres',
      ...(tls === undefined
        ? {}
        : { tls: { caPath: copyOut(tls, base), caPem: tls.caPem, serverName: tls.serverName } }),
      logPath,
      backend: 'local',
      readLog: async () => await readFile(logPath, 'utf8'),
      stop: stopServer,
      start,
      destroy: async () => {
        await stopServer();
        work.remove();
      },
    };
  } catch (error) {
    work.remove();
    throw error;
  }
}

/** The CA a client should trust, at a stable path next to the log. */
function copyOut(tls: TlsMaterial, base: string): string {
  const target = path.join(base, 'ca.crt');
  copyFileSync(tls.caPath, target);
  chmodSync(target, 0o644);
  return target;
}
