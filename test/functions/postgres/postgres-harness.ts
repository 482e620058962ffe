/**
 * Test helpers for the PostgreSQL function: the Secrets Manager emulator driven through
 * the real SDK, an in-process handler with injected logs, and raw admin connections to
 * the real PostgreSQL servers of the test bed (for arranging and checking only).
 */
import {
  CreateSecretCommand,
  DescribeSecretCommand,
  GetSecretValueCommand,
  RotateSecretCommand,
  SecretsManagerClient,
  TagResourceCommand,
} from '@aws-sdk/client-secrets-manager';
import pg from 'pg';
import { buildRotationFunction, type BuiltFunction } from '../../../shared/handler.ts';
import { createMemoryLog, createMemoryMetrics } from '../../../shared/observability.ts';
import type { PasswordGenerator } from '../../../shared/password.ts';
import { createSdkSecretsPort } from '../../../shared/sdk-secrets-port.ts';
import type { SecretsPort } from '../../../shared/secrets-port.ts';
import { startEmulator, type Emulator, type RotationRecord } from '../../../scripts/emulator/index.ts';
import { definePostgresFunction, type PostgresPorts } from '../../../functions/postgres/definition.ts';
import type { PostgresServer } from '../../support/servers.ts';

export interface PgHarness {
  readonly emu: Emulator;
  readonly sm: SecretsManagerClient;
  readonly log: ReturnType<typeof createMemoryLog>;
  /** Register an in-process PostgreSQL function. */
  register(name: string, options?: RegisterOptions): { arn: string; fn: BuiltFunction };
  createSecret(name: string, value: string | object, tags?: Record<string, string>): Promise<string>;
  rotate(secretId: string, functionArn: string): Promise<RotationRecord>;
  current(secretId: string): Promise<string>;
  stages(secretId: string): Promise<Record<string, string[]>>;
  tag(secretId: string, tags: Record<string, string>): Promise<void>;
  close(): Promise<void>;
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
  const emu = await startEmulator({ port: 0, rotationRetries: options.rotationRetries ?? 0 });
  const sm = new SecretsManagerClient({ endpoint: emu.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' }, maxAttempts: 1 });
  const log = createMemoryLog();
  return {
    emu,
    sm,
    log,
    register(name, options = {}) {
      const port = createSdkSecretsPort(sm);
      const fn = buildRotationFunction(definePostgresFunction(options.ports ?? {}), {
        env: { SECRETS_MANAGER_ENDPOINT: emu.endpoint, AWS_REGION: 'us-east-1', ...FAST_ENV, ...(options.env ?? {}) },
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
    async createSecret(name, value, tags) {
      const out = await sm.send(
        new CreateSecretCommand({
          Name: name,
          SecretString: typeof value === 'string' ? value : JSON.stringify(value),
          ...(tags ? { Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })) } : {}),
        }),
      );
      return out.ARN as string;
    },
    async rotate(secretId, functionArn) {
      await sm.send(new RotateSecretCommand({ SecretId: secretId, RotationLambdaARN: functionArn, RotationRules: { AutomaticallyAfterDays: 90 } }));
      return emu.waitForRotation(secretId);
    },
    async current(secretId) {
      const out = await sm.send(new GetSecretValueCommand({ SecretId: secretId }));
      return out.SecretString as string;
    },
    async stages(secretId) {
      const out = await sm.send(new DescribeSecretCommand({ SecretId: secretId }));
      return out.VersionIdsToStages ?? {};
    },
    async tag(secretId, tags) {
      await sm.send(new TagResourceCommand({ SecretId: secretId, Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })) }));
    },
    async close() {
      sm.destroy();
      await emu.close();
    },
  };
}

type ServerLike = Pick<PostgresServer, 'port' | 'tls'>;

/** A raw node-postgres client (not the code under test). */
export async function connect(server: ServerLike, user: string, password: string, database = 'postgres'): Promise<pg.Client> {
  const client = new pg.Client({
    host: '127.0.0.1',
    port: server.port,
    user,
    password,
    database,
    ssl: server.tls ? { ca: server.tls.caPem, servername: server.tls.serverName } : false,
    connectionTimeoutMillis: 3000,
  });
  client.on('error', () => undefined);
  await client.connect();
  return client;
}

/** Run statements as the given user and disconnect; returns the rows of the last one. */
export async function run(server: ServerLike, user: string, password: string, statements: (string | [string, unknown[]])[], database = 'postgres'): Promise<Record<string, unknown>[]> {
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

export function admin(server: PostgresServer, statements: (string | [string, unknown[]])[], database = 'postgres'): Promise<Record<string, unknown>[]> {
  return run(server, server.adminUser, server.adminPassword, statements, database);
}

/** Create (or reset) a login role with a password, as the admin. */
export async function createLogin(server: PostgresServer, user: string, password: string): Promise<void> {
  const name = pg.escapeIdentifier(user);
  const exists = await admin(server, [['SELECT 1 FROM pg_roles WHERE rolname = $1', [user]]]);
  await admin(server, [`${exists.length > 0 ? 'ALTER' : 'CREATE'} ROLE ${name} WITH LOGIN PASSWORD ${pg.escapeLiteral(password)}`]);
}

/** Does this password log in as this user? false on a wrong password, throws on anything else. */
export async function canLogin(server: ServerLike, user: string, password: string, database = 'postgres'): Promise<boolean> {
  try {
    const client = await connect(server, user, password, database);
    await client.end();
    return true;
  } catch (error) {
    if ((error as { code?: string }).code === '28P01') return false;
    throw error;
  }
}

/** Every log line and every error of the rotation records, for leak checks. */
export function everything(log: { lines: string[] }, records: readonly RotationRecord[]): string {
  return [...log.lines, ...records.flatMap((r) => r.steps.map((s) => JSON.stringify(s.error ?? {})))].join('\n');
}

export function credentialsOf(secretText: string): { username: string; password: string } {
  if (secretText.trim().startsWith('{')) return JSON.parse(secretText) as { username: string; password: string };
  const match = /^[^:]+:\/\/([^:@]*):([^@]*)@/.exec(secretText);
  if (!match) throw new Error('not a credentialed URL');
  return { username: decodeURIComponent(match[1] as string), password: decodeURIComponent(match[2] as string) };
}

/** The error codes of the failed steps of a rotation record. */
export function failedCodes(record: RotationRecord): (string | undefined)[] {
  return record.steps.filter((step) => !step.ok).map((step) => step.error?.code);
}
