/**
 * The PostgreSQL half of the test bed: `startPostgres()` gives a real PostgreSQL 15 with
 * scram-sha-256 auth on a random loopback port. It runs in a container when a container
 * runtime answers (testcontainers), otherwise from the machine's binaries.
 */
import { chooseBackend } from './container-runtime.ts';
import type { PostgresServer, StartPostgresOptions } from './postgres-server-types.ts';

export type { PostgresServer, PostgresTls, StartPostgresOptions } from './postgres-server-types.ts';

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
