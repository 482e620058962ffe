import { Token } from 'aws-cdk-lib';

/** The Redis function's bounded ElastiCache wait unless `environment` overrides it (the SAM template's default too). */
export const ELASTICACHE_WAIT_SECONDS = 240;

/**
 * The most bounded waits one step makes: an AUTH token's setSecret (the group available; after a
 * SET that recovers an abandoned rotation; after ROTATE), a user's (before and after ModifyUser).
 * The function's own figures (functions/redis/elasticache-modes.ts; a test keeps them equal).
 */
export const ELASTICACHE_WORST_CASE_WAITS = Object.freeze({ authToken: 3, user: 2 });

/** On top of the waits: connections, logins and the step's Secrets Manager calls. */
export const ELASTICACHE_TIMEOUT_MARGIN_SECONDS = 30;

export interface ElastiCacheTiming {
  readonly waits: number;
  readonly waitSeconds: number;
  /** Where the wait came from, as a prop path (for the error message). */
  readonly waitFrom: string;
  /** waits x waitSeconds + the margin, in whole seconds. */
  readonly worstCaseSeconds: number;
}

/**
 * The worst case of the Redis function's ElastiCache waits in one invocation, when it rotates
 * ElastiCache at all (groups or users named); undefined otherwise, or when the wait is a token
 * or not a number (the function itself refuses that at start, ERR_CONFIG_INVALID).
 */
export function elastiCacheTiming(props: {
  readonly elastiCacheReplicationGroupIds?: readonly string[];
  readonly elastiCacheUserIds?: readonly string[];
  readonly environment?: Readonly<Record<string, string>>;
}): ElastiCacheTiming | undefined {
  const waits = props.elastiCacheReplicationGroupIds?.length
    ? ELASTICACHE_WORST_CASE_WAITS.authToken
    : props.elastiCacheUserIds?.length
      ? ELASTICACHE_WORST_CASE_WAITS.user
      : 0;
  if (waits === 0) return undefined;
  const env = props.environment ?? {};
  let waitSeconds = ELASTICACHE_WAIT_SECONDS;
  let waitFrom = `the default MAX_WAITING_TIME_FOR_ACTIVE_IN_SECONDS=${ELASTICACHE_WAIT_SECONDS}`;
  const ms = env['ELASTICACHE_WAIT_TIMEOUT_MS'];
  const seconds = env['MAX_WAITING_TIME_FOR_ACTIVE_IN_SECONDS'];
  if (ms !== undefined) {
    if (Token.isUnresolved(ms)) return undefined;
    waitSeconds = Number(ms) / 1000;
    waitFrom = 'props.environment.ELASTICACHE_WAIT_TIMEOUT_MS';
  } else if (seconds !== undefined) {
    if (Token.isUnresolved(seconds)) return undefined;
    waitSeconds = Number(seconds);
    waitFrom = 'props.environment.MAX_WAITING_TIME_FOR_ACTIVE_IN_SECONDS';
  }
  if (!Number.isFinite(waitSeconds) || waitSeconds <= 0) return undefined;
  return {
    waits,
    waitSeconds,
    waitFrom,
    worstCaseSeconds: Math.ceil(waits * waitSeconds + ELASTICACHE_TIMEOUT_MARGIN_SECONDS),
  };
}
