/**
 * The test bed: real PostgreSQL and Redis servers for integration tests.
 *
 *   const pg = await startPostgres({ tls: true });   // PostgreSQL 15, scram-sha-256
 *   const redis = await startRedis({ aclFile: true }); // Redis 7
 *   afterAll(() => Promise.all([pg.destroy(), redis.destroy()]));
 *
 * stop()/start() keep the port and data (prove "server down", then recovery); destroy()
 * removes everything (also done at process exit, on SIGTERM/SIGINT, and by a parent-death
 * signal if the test process is killed outright). A container runtime is used when one
 * answers (testcontainers), else the machine's binaries; TEST_BED_BACKEND=local|container
 * forces one. Servers shared by the whole run come from global-setup.ts via
 * `inject('servers')`: read them, never stop or reconfigure them.
 */
export { startPostgres } from './postgres-server.ts';
export type { PostgresServer, PostgresTls, StartPostgresOptions } from './postgres-server.ts';
export { startPgBouncer } from './pgbouncer-server.ts';
export type { PgBouncerServer, StartPgBouncerOptions } from './pgbouncer-server.ts';
export { startRedis } from './redis-server.ts';
export type { RedisServer, StartRedisOptions } from './redis-server.ts';
export { startRedisCluster } from './redis-cluster.ts';
export type { RedisCluster, StartRedisClusterOptions } from './redis-cluster.ts';
export { startRedisSentinels } from './redis-sentinel.ts';
export type { RedisSentinel, RedisSentinels, StartRedisSentinelsOptions } from './redis-sentinel.ts';
export { Backend, chooseBackend, containerRuntimeAvailable } from './container-runtime.ts';
export { createTlsMaterial, TLS_SERVER_NAME } from './tls.ts';
export type { TlsMaterial } from './tls.ts';
export { freePort, waitUntil, withFreshPortOnConflict } from './ports.ts';
export { INSTALL_HINTS } from './binaries.ts';
