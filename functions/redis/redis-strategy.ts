import { SecretKind } from '../../shared/constants.ts';
import type { CoreConfig } from '../../shared/core-config.ts';
import type { PasswordGenerator } from '../../shared/password.ts';
import type { Log } from '../../shared/observability.ts';
import type { RotationStrategy } from '../../shared/strategy.ts';
import { createAclUserMode } from './acl-user-mode.ts';
import { createAuthTokenMode, createElastiCacheUserMode } from './elasticache-modes.ts';
import type { ModeDeps, ModeHandler } from './mode-handler.ts';
import { RedisMode, resolveMode } from './redis-mode.ts';
import { generateRedisPassword } from './redis-passwords.ts';
import { ErrorCode, isRotationError } from '../../shared/errors.ts';
import { primaryEndpoint } from './redis-nodes.ts';
import {
  effectiveUsername,
  parseRedisSecret,
  serializeRedisSecret,
  withKnownNodes,
  withPassword,
  type RedisSecret,
} from './redis-secret.ts';
import { createRequirepassMode } from './requirepass-mode.ts';
import { discoverThroughSentinels } from './redis-sentinel.ts';
import type { RedisEndpoint } from './redis-port.ts';

const quiet: Log = { debug() {}, info() {}, warn() {}, error() {}, appendKeys() {} };

/** Where a value logs in: its host, or the primary its sentinels agree on. */
async function loginEndpoint(deps: RedisStrategyDeps, value: RedisSecret): Promise<RedisEndpoint> {
  if (value.sentinel === undefined) return primaryEndpoint(value);
  const view = await discoverThroughSentinels(deps.connector, value.sentinel, value.tls, false, quiet);
  return { host: view.primary.host, port: view.primary.port, tls: value.tls };
}

export interface RedisStrategyDeps extends ModeDeps {
  readonly core: CoreConfig;
  readonly passwords: PasswordGenerator;
}

/**
 * The Redis strategy: parse/serialise the secret in its own shape, make a new password,
 * and hand setSecret/testSecret/finishSecret to the mode the secret asks for.
 */
export function createRedisStrategy(deps: RedisStrategyDeps): RotationStrategy<RedisSecret> {
  const modes: Record<RedisMode, ModeHandler> = {
    [RedisMode.acl]: createAclUserMode(deps),
    [RedisMode.requirepass]: createRequirepassMode(deps),
    [RedisMode.elasticacheAuthToken]: createAuthTokenMode(deps),
    [RedisMode.elasticacheUser]: createElastiCacheUserMode(deps),
  };
  const modeOf = (secret: RedisSecret): ModeHandler => modes[resolveMode(secret, deps.config.defaultMode)];

  return {
    kind: SecretKind.redis,
    parse: parseRedisSecret,
    serialize: serializeRedisSecret,
    async createPending(input) {
      const { current, previous, context } = input;
      const mode = resolveMode(current, deps.config.defaultMode);
      const known = await modes[mode].recordNodes?.(input);
      const avoid = previous === undefined ? [current.password] : [current.password, previous.password];
      const password = await generateRedisPassword(deps.passwords, mode, deps.core.passwordPolicy, avoid);
      context.logger.info('Generated a new Redis password', { mode, knownNodes: known?.length ?? 0 });
      return withPassword(known ? withKnownNodes(current, known) : current, password);
    },
    setSecret: (input) => modeOf(input.current).set(input),
    testSecret: (input) => modeOf(input.current).test(input),
    finishSecret: (input) => modeOf(input.current).finish(input),
    // requirepass is a cut-over: once setSecret ran, only the pending password logs in.
    async logsIn(value) {
      const mode = resolveMode(value, deps.config.defaultMode);
      const username =
        mode === RedisMode.requirepass || mode === RedisMode.elasticacheAuthToken
          ? undefined
          : effectiveUsername(value);
      try {
        const session = await deps.connector.open(await loginEndpoint(deps, value), {
          username,
          password: value.password,
        });
        await session.close();
        return true;
      } catch (error) {
        if (isRotationError(error, ErrorCode.ERR_TARGET_AUTH_FAILED)) return false;
        throw error;
      }
    },
    setReplacesCurrent: (current) => resolveMode(current, deps.config.defaultMode) === RedisMode.requirepass,
  };
}
