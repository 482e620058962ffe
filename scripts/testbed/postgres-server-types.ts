/**
 * What a Postgres server of the test bed is and how to ask for one, apart from `startPostgres()`
 * (postgres-server.ts) so that its backends (local-postgres.ts, container-postgres.ts) can name
 * these types without importing the façade that loads them.
 */
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
