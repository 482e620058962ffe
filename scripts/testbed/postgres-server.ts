/**
 * The PostgreSQL half of the test bed: `startPostgres()` gives a real PostgreSQL 15 with
 * scram-sha-256 auth on a random loopback port. It runs in a container when a container
 * runtime answers (testcontainers), otherwise from the machine's binaries.
 */
import { chooseBackend } from './container-runtime.ts';
import type { Backend } from './container-runtime.ts';

export interface StartPostgresOptions {
  /**
   * Serve TLS with a throwaway CA (certificate for `localhost` and 127.0.0.1). The server
   * accepts both TLS and plaintext connections, so what a test proves is the client's policy
   * (e.g. `sslmode=verify-full` refusing a wrong CA), not the server's.
   */
  readonly tls?: boolean;
  /** `log_statement = 'all'`: every statement lands in the server log (see readLog()). */
  readonly logStatements?: boolean;
  /**
   * `md5`: a legacy cluster, `password_encryption = md5` and `md5` in pg_hba.conf (which
   * also accepts SCRAM verifiers, as PostgreSQL does). Default `scram-sha-256` everywhere.
   */
  readonly passwordEncryption?: 'scram-sha-256' | 'md5';
  /** Force a backend; default: `TEST_BED_BACKEND`, else a container when a runtime answers, else local binaries. */
  readonly backend?: Backend;
}

export interface PostgresTls {
  /** Path of the CA certificate (PEM) that signed the server certificate. */
  readonly caPath: string;
  readonly caPem: string;
  /** The name the server certificate is issued for: verify against it. */
  readonly serverName: string;
}

export interface PostgresServer {
  readonly host: '127.0.0.1';
  readonly port: number;
  readonly adminUser: 'postgres';
  readonly adminPassword: string;
  readonly database: 'postgres';
  readonly tls?: PostgresTls;
  /** The server log file (a container backend copies its logs here on readLog()). */
  readonly logPath: string;
  readonly backend: Backend;
  /** The server log text so far. */
  readLog(): Promise<string>;
  /** Stop the server (connections then fail); data and port are kept for start(). */
  stop(): Promise<void>;
  /** Start it again on the same port with the same data. No-op when running. */
  start(): Promise<void>;
  /** Stop for good and remove its temp folder (also done at process exit). */
  destroy(): Promise<void>;
}

/** Start a fresh PostgreSQL 15 server. Stop it (destroy()) in afterAll. */
export async function startPostgres(options: StartPostgresOptions = {}): Promise<PostgresServer> {
  const backend = await chooseBackend(options.backend);
  if (backend === 'container') {
    const { startContainerPostgres } = await import('./container-postgres.ts');
    return await startContainerPostgres(options);
  }
  const { startLocalPostgres } = await import('./local-postgres.ts');
  return await startLocalPostgres(options);
}
