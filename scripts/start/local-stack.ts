import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { Env } from '../../shared/config.ts';
import { startPostgres, startRedis } from '../testbed/servers.ts';
import type { Output, Painter } from '../cli/output.ts';
import { startEmulator } from '../emulator/index.ts';
import type { Cleanup } from './cleanup.ts';
import type { DemoStack } from './demo.ts';
import type { Kind } from './ensure-build.ts';

export interface LocalStack extends DemoStack {
  /** Everything printed through `out` so far (for the leak scan). */
  printed(): string;
  /** Every line the rotation functions logged. */
  functionLogs(): string;
}

/** Per-kind settings the functions get, as their Lambda environment would carry them. */
function functionEnv(kind: Kind, postgresCaPath: string | undefined): Record<string, string> {
  const common = { POWERTOOLS_LOG_LEVEL: 'INFO', POWERTOOLS_METRICS_NAMESPACE: 'SecretsRotationDemo' };
  switch (kind) {
    case 'jwt':
      return common;
    case 'postgres':
      // verify-full (the default) against the test bed's throwaway CA.
      return { ...common, ...(postgresCaPath ? { PG_SSL_CA_PATH: postgresCaPath } : {}) };
    case 'redis':
      return common;
  }
}

/**
 * Start the emulator, a real PostgreSQL and a real Redis (in parallel), and register the
 * built zips as rotation functions. Each piece registers its own stop with `cleanup`
 * as soon as it is up, so a failure half-way still stops what did start.
 */
export async function startLocalStack(options: {
  readonly root: string;
  readonly cleanup: Cleanup;
  readonly out: Output;
  readonly paint: Painter;
  readonly env: Env;
  readonly kinds: readonly Kind[];
}): Promise<LocalStack> {
  const { cleanup } = options;
  const recorded: string[] = [];
  const tee = (sink: Output['stdout']): Output['stdout'] => ({
    isTTY: sink.isTTY ?? false,
    columns: sink.columns ?? 80,
    write: (text) => {
      recorded.push(text);
      sink.write(text);
    },
  });
  const out: Output = { ...options.out, stdout: tee(options.out.stdout), stderr: tee(options.out.stderr) };
  const redisAdminPassword = randomBytes(18).toString('base64url');

  const [emu, postgres, redis] = await Promise.all([
    startEmulator({ port: 0, rotationRetries: 1, replicationDelayMs: 800 }).then((started) => {
      cleanup.add('emulator', () => started.close());
      return started;
    }),
    startPostgres({ tls: true }).then((started) => {
      cleanup.add('PostgreSQL', () => started.destroy());
      return started;
    }),
    startRedis({ aclFile: true, requirepass: redisAdminPassword }).then((started) => {
      cleanup.add('Redis', () => started.destroy());
      return started;
    }),
  ]);

  const arns = new Map<Kind, string>();
  for (const kind of options.kinds) {
    arns.set(
      kind,
      emu.registerFunction(
        `rotation-${kind}`,
        { path: join(options.root, 'dist', `${kind}.zip`) },
        { env: functionEnv(kind, postgres.tls?.caPath), poolSize: 1 },
      ),
    );
  }
  const sm = new SecretsManagerClient({
    endpoint: emu.endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  const known = new Set<string>([postgres.adminPassword, redisAdminPassword]);
  return {
    out,
    paint: options.paint,
    sm,
    endpoint: emu.endpoint,
    env: { ...options.env, AWS_REGION: 'us-east-1' },
    functionArn: (kind) => arns.get(kind) ?? '',
    postgres: {
      host: postgres.host,
      port: postgres.port,
      adminUser: postgres.adminUser,
      adminPassword: postgres.adminPassword,
      database: postgres.database,
      ...(postgres.tls ? { caPem: postgres.tls.caPem } : {}),
    },
    redis: { host: redis.host, port: redis.port, adminPassword: redisAdminPassword },
    known,
    printed: () => recorded.join(''),
    functionLogs: () =>
      options.kinds.map((kind) => emu.functionLogs(`rotation-${kind}`).join('\n')).join('\n'),
  };
}
