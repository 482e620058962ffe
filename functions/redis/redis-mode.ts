/** How a Redis secret is rotated. */
export const RedisMode = {
  /** Redis 6+ ACL user with two passwords during the switch (zero downtime). The default. */
  acl: 'acl',
  /** The `default` user's `requirepass` (and replicas' `masterauth`): a cut-over. */
  requirepass: 'requirepass',
  /** ElastiCache replication-group AUTH token: ROTATE, then SET at the next cycle. */
  elasticacheAuthToken: 'elasticache-auth-token',
  /** ElastiCache RBAC user: ModifyUser with [pending, current]. */
  elasticacheUser: 'elasticache-user',
} as const;
export type RedisMode = (typeof RedisMode)[keyof typeof RedisMode];

export const REDIS_MODES: readonly RedisMode[] = Object.freeze(Object.values(RedisMode));

export function isRedisMode(value: string): value is RedisMode {
  return (REDIS_MODES as readonly string[]).includes(value);
}

/**
 * Which mode applies: the secret's `mode` field, else inferred from ElastiCache fields
 * (`replicationGroupId` -> auth token, `userId`/`user_arn` -> RBAC user), else the env default.
 */
export function resolveMode(
  secret: {
    readonly mode: RedisMode | undefined;
    readonly replicationGroupId: string | undefined;
    readonly userId: string | undefined;
  },
  envDefault: RedisMode,
): RedisMode {
  if (secret.mode !== undefined) return secret.mode;
  if (secret.replicationGroupId !== undefined) return RedisMode.elasticacheAuthToken;
  if (secret.userId !== undefined) return RedisMode.elasticacheUser;
  return envDefault;
}

export function isElastiCacheMode(mode: RedisMode): boolean {
  return mode === RedisMode.elasticacheAuthToken || mode === RedisMode.elasticacheUser;
}
