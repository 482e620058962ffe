/**
 * Test helpers for the PostgreSQL function: the Secrets Manager emulator driven through
 * the real SDK, an in-process handler with injected logs, and raw admin connections to
 * the real PostgreSQL servers of the test bed (for arranging and checking only).
 */
import pg from 'pg';
import { buildRotationFunction, type BuiltFunction } from '../../../shared/rotation-function.ts';
import { createMemoryLog, createMemoryMetrics } from '../../../scripts/testbed/memory-observability.ts';
import type { PasswordGenerator } from '../../../shared/password.ts';
import { createSdkSecretsPort } from '../../../shared/sdk-secrets-port.ts';
import type { SecretsPort } from '../../../shared/secrets-port.ts';
import type { RotationRecord } from '../../../scripts/emulator/index.ts';
import { definePostgresFunction, type PostgresPorts } from '../../../functions/postgres/definition.ts';
import { startEmulatorSecrets, type EmulatorSecrets } from '../../support/emulator-harness.ts';
import type { PostgresServer } from '../../../scripts/testbed/servers.ts';
import { connectPg } from '../../../scripts/testbed/pg-login.ts';

export { everything } from '../../support/emulator-harness.ts';

export interface PgHarness extends EmulatorSecrets {
  readonly log: ReturnType<typeof createMemoryLog>;
  /** Register an in-process PostgreSQL function. */
  register(name: string, options?: RegisterOptions): { arn: string; fn: BuiltFunction };
}

export interface RegisterOptions {
  readonly env?: Record<string, string>;
  readonly ports?: PostgresPorts;
  /** Replace the password generator (default: the emulator's GetRandomPassword). */
  readonly passwords?: PasswordGenerator;
  /** Wrap the Secrets Manager port (crash injection). */
  readonly secrets?: (port: SecretsPort) => SecretsPort;
  /** Runs before every step (e.g. to note which step is running). */
  readonly before?: (event: { Step: string; ClientRequestToken: string }) => Promise<void> | void;
  /** Runs after every successful step (probes). */
  readonly after?: (event: { Step: string; ClientRequestToken: string }) => Promise<void> | void;
}

export const FAST_ENV = { PG_CONNECT_TIMEOUT_MS: '2000', PG_STATEMENT_TIMEOUT_MS: '5000' } as const;

export async function startPgHarness(options: { rotationRetries?: number } = {}): Promise<PgHarness> {
  const base = await startEmulatorSecrets(options);
  const { emu, sm } = base;
  const log = createMemoryLog();
  return {
    ...base,
    log,
    register(name, options = {}) {
      const port = createSdkSecretsPort(sm);
      const fn = buildRotationFunction(definePostgresFunction(options.ports ?? {}), {
        env: {
          SECRETS_MANAGER_ENDPOINT: emu.endpoint,
          AWS_REGION: 'us-east-1',
          ...FAST_ENV,
          ...(options.env ?? {}),
        },
        logger: log,
        metrics: createMemoryMetrics(),
        secrets: options.secrets ? options.secrets(port) : port,
        ...(options.passwords ? { passwords: options.passwords } : {}),
      });
      const target = async (event: unknown): Promise<unknown> => {
        const typed = event as { Step: string; ClientRequestToken: string };
        await options.before?.(typed);
        await fn.handler(event);
        await options.after?.(typed);
        return null;
      };
      return { arn: emu.registerFunction(name, target), fn };
    },
  };
}

type ServerLike = Pick<PostgresServer, 'port' | 'tls'>;

/** A raw node-postgres client (not the code under test). */
export async function connect(
  server: ServerLike,
  user: string,
  password: string,
  database = 'postgres',
): Promise<pg.Client> {
  return connectPg({ host: '127.0.0.1', port: server.port, tls: server.tls }, user, password, {
    database,
    connectTimeoutMs: 3000,
  });
}

/** Run statements as the given user and disconnect; returns the rows of the last one. */
export async function run(
  server: ServerLike,
  user: string,
  password: string,
  statements: (string | [string, unknown[]])[],
  database = 'postgres',
): Promise<Record<string, unknown>[]> {
  const client = await connect(server, user, password, database);
  try {
    let rows: Record<string, unknown>[] = [];
    for (const statement of statements) {
      const [sql, values] = typeof statement === 'string' ? [statement, undefined] : statement;
      rows = (await client.query(sql, values)).rows as Record<string, unknown>[];
    }
    return rows;
  } finally {
    await client.end();
  }
}

export function admin(
  server: PostgresServer,
  statements: (string | [string, unknown[]])[],
  database = 'postgres',
): Promise<Record<string, unknown>[]> {
  return run(server, server.adminUser, server.adminPassword, statements, database);
}

/** A PostgreSQL secret for a login on a test server, without TLS (the test servers' default); `extra` fields last. */
export function loginSecret(
  server: Pick<PostgresServer, 'port'>,
  username: string,
  password: string,
  extra: object = {},
): Record<string, unknown> {
  return {
    engine: 'postgres',
    host: '127.0.0.1',
    port: server.port,
    username,
    password,
    ssl: false,
    ...extra,
  };
}

/** The server's superuser as a PostgreSQL admin secret without TLS. */
export function superuserSecret(server: PostgresServer): Record<string, unknown> {
  return loginSecret(server, server.adminUser, server.adminPassword);
}

/** Create (or reset) a login role with a password, as the admin. */
export async function createLogin(server: PostgresServer, user: string, password: string): Promise<void> {
  const name = pg.escapeIdentifier(user);
  const exists = await admin(server, [['SELECT 1 FROM pg_roles WHERE rolname = $1', [user]]]);
  await admin(server, [
    `${exists.length > 0 ? 'ALTER' : 'CREATE'} ROLE ${name} WITH LOGIN PASSWORD ${pg.escapeLiteral(password)}`,
  ]);
}

/** Does this password log in as this user? false on a wrong password, throws on anything else. */
export async function canLogin(
  server: ServerLike,
  user: string,
  password: string,
  database = 'postgres',
): Promise<boolean> {
  try {
    const client = await connect(server, user, password, database);
    await client.end();
    return true;
  } catch (error) {
    if ((error as { code?: string }).code === '28P01') return false;
    throw error;
  }
}

export function credentialsOf(secretText: string): { username: string; password: string } {
  if (secretText.trim().startsWith('{'))
    return JSON.parse(secretText) as { username: string; password: string };
  const match = /^[^:]+:\/\/([^:@]*):([^@]*)@/.exec(secretText);
  if (!match) throw new Error('not a credentialed URL');
  return {
    username: decodeURIComponent(match[1] as string),
    password: decodeURIComponent(match[2] as string),
  };
}

/** The error codes of the failed steps of a rotation record. */
export function failedCodes(record: RotationRecord): (string | undefined)[] {
  return record.steps.filter((step) => !step.ok).map((step) => step.error?.code);
}
