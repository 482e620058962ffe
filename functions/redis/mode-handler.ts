import { ErrorCode, RotationError, isRotationError } from '../../shared/errors.ts';
import type { Log } from '../../shared/observability.ts';
import type { CreateInput, FinishInput, FinishReport, StepInput } from '../../shared/strategy.ts';
import type { ElastiCachePort } from './elasticache-port.ts';
import type { RedisConfig } from './redis-config.ts';
import {
  describeEndpoint,
  type RedisConnector,
  type RedisCredentials,
  type RedisEndpoint,
} from './redis-port.ts';
import type { RedisNodeAddress, RedisSecret } from './redis-secret.ts';

/** What each mode implements; the strategy picks one per secret. */
export interface ModeHandler {
  /** createSecret: the nodes to remember in the pending value (`knownNodes`); self-hosted modes only. */
  recordNodes?(input: CreateInput<RedisSecret>): Promise<readonly RedisNodeAddress[]>;
  set(input: StepInput<RedisSecret>): Promise<void>;
  test(input: StepInput<RedisSecret>): Promise<void>;
  /** After AWSCURRENT moved; only does work for emergency rotations. */
  finish(input: FinishInput<RedisSecret>): Promise<FinishReport | void>;
}

export interface ModeDeps {
  readonly connector: RedisConnector;
  readonly config: RedisConfig;
  /** Built lazily: only ElastiCache modes need it. */
  readonly elastiCache: (region?: string) => ElastiCachePort;
  readonly sleep: (ms: number) => Promise<void>;
  readonly now: () => number;
}

/**
 * testSecret's check on one node: a fresh connection with the pending credentials,
 * AUTH (by the connector), PING, then the configured harmless command.
 */
export async function proveLogin(
  deps: ModeDeps,
  endpoint: RedisEndpoint,
  credentials: RedisCredentials,
  db: number,
  logger: Log,
): Promise<void> {
  const node = describeEndpoint(endpoint);
  let session;
  try {
    session = await deps.connector.open(endpoint, credentials, { db });
  } catch (error) {
    throw testFailure(node, 'cannot log in with the pending password', error);
  }
  try {
    const pong = await session.call('PING', [], { argsAreSecret: false });
    if (pong !== 'PONG')
      throw new RotationError(ErrorCode.ERR_TEST_FAILED, `Redis node ${node}: PING did not answer PONG`, {
        details: { node },
      });
    if (deps.config.testCommand !== 'PING')
      await session.call(deps.config.testCommand, [], { argsAreSecret: false });
    logger.info('Pending credentials work on node', { node, testCommand: deps.config.testCommand });
  } catch (error) {
    if (isRotationError(error, ErrorCode.ERR_TEST_FAILED)) throw error;
    throw testFailure(node, `PING or ${deps.config.testCommand} failed with the pending password`, error);
  } finally {
    await session.close();
  }
}

function testFailure(node: string, what: string, cause: unknown): RotationError {
  const causeCode = isRotationError(cause) ? cause.code : ErrorCode.ERR_INTERNAL;
  return new RotationError(ErrorCode.ERR_TEST_FAILED, `Redis node ${node}: ${what} (${causeCode})`, {
    cause,
    details: { node, causeCode },
  });
}

/** Refuse a pending value that points somewhere else than the current one. */
export function assertSameIdentity(current: RedisSecret, pending: RedisSecret, secretArn: string): void {
  const fields: (keyof RedisSecret)[] = ['host', 'port', 'username', 'replicationGroupId', 'userId'];
  for (const field of fields) {
    if (current[field] !== pending[field]) {
      throw new RotationError(
        ErrorCode.ERR_SECRET_IDENTITY_CHANGED,
        `Secret ${secretArn}: the pending value's "${field}" differs from the current value's`,
        {
          details: { secretArn, field },
        },
      );
    }
  }
}
