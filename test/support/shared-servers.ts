/**
 * The serializable description of the servers global-setup.ts starts once per run and hands
 * to test files through vitest's `inject('servers')`. Shared servers must not be stopped or
 * reconfigured by a test; start your own with startPostgres()/startRedis() for that.
 */

export interface SharedPostgres {
  readonly host: '127.0.0.1';
  readonly port: number;
  readonly adminUser: 'postgres';
  readonly adminPassword: string;
  readonly database: 'postgres';
  readonly tls?: { readonly caPath: string; readonly caPem: string; readonly serverName: string };
  readonly logPath: string;
}

export interface SharedRedis {
  readonly host: '127.0.0.1';
  readonly port: number;
}

export interface SharedServers {
  /** PostgreSQL 15, scram-sha-256, plaintext. */
  readonly postgres: SharedPostgres;
  /** PostgreSQL 15 with TLS (accepts TLS and plaintext; trust `tls.caPem`, verify `tls.serverName`). */
  readonly postgresTls: SharedPostgres & { readonly tls: NonNullable<SharedPostgres['tls']> };
  /** Redis 7 primary, no password. */
  readonly redis: SharedRedis;
  /** A replica of `redis`, link up when tests start. */
  readonly redisReplica: SharedRedis & { readonly replicaOf: SharedRedis };
}

declare module 'vitest' {
  export interface ProvidedContext {
    servers: SharedServers;
  }
}
