import { randomBytes } from 'node:crypto';
import { defineRedisFunction } from '../../../functions/redis/definition.ts';
import type { ElastiCachePort } from '../../../functions/redis/elasticache-port.ts';
import { createIoredisConnector } from '../../../functions/redis/ioredis-connector.ts';
import type { RedisConnector } from '../../../functions/redis/redis-port.ts';
import { awsCallError } from '../../../shared/aws-call.ts';
import type { RotationError } from '../../../shared/errors.ts';
import type { FunctionDefinition } from '../../../shared/rotation-function.ts';
import { CredentialModel, type ChaosTarget } from './chaos-target.ts';
import { redisAdmin, redisAuthenticates } from './redis-probe.ts';
import type { RedisTargetServer } from './redis-target.ts';

/**
 * ElastiCache modes against a real Redis: a stand-in for the ElastiCache API that applies
 * each call to the server at once, the way ElastiCache applies it to its nodes, and
 * reports the resource `active`/`available`:
 * - RBAC user (`userId`): ModifyUser passwords -> `ACL SETUSER <name> resetpass >p...`;
 * - replication-group AUTH token: ROTATE adds the token to the `default` user (old and new
 *   both work; when two are set the oldest goes, as the ElastiCache User Guide documents),
 *   SET leaves only the new one and is refused (InvalidParameterCombination) unless two are set.
 * The API port is wrapped (`elasticache.*` injection points) as well as the Redis connector.
 * The API stand-in is not ElastiCache: it has no propagation delay and no modifying state.
 */
export type ElastiCacheChaosMode = 'elasticache-user' | 'elasticache-auth-token';

const newPassword = (): string => `Init${randomBytes(18).toString('base64url').replace(/[-_]/g, 'x')}`;

function apiError(operation: string, resource: string, awsError: string): RotationError {
  return awsCallError(
    { service: 'ElastiCache', operation, resource },
    Object.assign(new Error(awsError), { name: awsError }),
  );
}

class RedisBackedElastiCache implements ElastiCachePort {
  readonly users = new Map<string, string>();
  readonly #server: RedisTargetServer;

  constructor(server: RedisTargetServer) {
    this.#server = server;
  }

  async describeReplicationGroup(replicationGroupId: string) {
    return {
      replicationGroupId,
      status: 'available',
      authTokenEnabled: true,
      transitEncryptionEnabled: true,
    };
  }

  async modifyAuthToken(
    replicationGroupId: string,
    authToken: { reveal(): string },
    strategy: 'ROTATE' | 'SET',
  ) {
    const [user] = (await redisAdmin(this.#server.address, this.#server.admin, [
      ['ACL', 'GETUSER', 'default'],
    ])) as unknown[][];
    const passwords = (user?.[user.indexOf('passwords') + 1] as unknown[] | undefined) ?? [];
    // ACL GETUSER lists the hashes oldest first: ROTATE on two drops the oldest (`!<hash>`).
    const oldest = strategy === 'ROTATE' && passwords.length >= 2 ? [`!${String(passwords[0])}`] : [];
    // SET is allowed only after a ROTATE, that is while the group holds two tokens.
    if (strategy === 'SET' && passwords.length < 2)
      throw apiError('ModifyReplicationGroup', replicationGroupId, 'InvalidParameterCombinationException');
    await redisAdmin(this.#server.address, this.#server.admin, [
      [
        'ACL',
        'SETUSER',
        'default',
        'on',
        ...(strategy === 'SET' ? ['resetpass'] : oldest),
        `>${authToken.reveal()}`,
      ],
    ]);
  }

  async describeUser(userId: string) {
    const userName = this.users.get(userId);
    if (userName === undefined) throw apiError('DescribeUsers', userId, 'UserNotFound');
    return { userId, userName, status: 'active', authenticationType: 'password', passwordCount: undefined };
  }

  async modifyUserPasswords(userId: string, passwords: readonly { reveal(): string }[]) {
    const userName = this.users.get(userId);
    if (userName === undefined) throw apiError('ModifyUser', userId, 'UserNotFound');
    await redisAdmin(this.#server.address, this.#server.admin, [
      ['ACL', 'SETUSER', userName, 'resetpass', ...passwords.map((p) => `>${p.reveal()}`)],
    ]);
  }
}

export function elastiCacheTarget(mode: ElastiCacheChaosMode, server: RedisTargetServer): ChaosTarget {
  const api = new RedisBackedElastiCache(server);
  const { address } = server;
  const tokenMode = mode === 'elasticache-auth-token';
  return {
    name: `redis/${mode}/json`,
    model: CredentialModel.zeroDowntime,
    emergency: true,
    repairSafe: true,
    // The AUTH token is the server's `default` user: one schedule at a time.
    exclusive: tokenMode,
    env: {
      REDIS_CONNECT_TIMEOUT_MS: '2000',
      REDIS_COMMAND_TIMEOUT_MS: '2000',
      ELASTICACHE_POLL_INTERVAL_MS: '5',
      ELASTICACHE_WAIT_TIMEOUT_MS: '2000',
      // Each schedule makes its own group or user, so the list is `*`, as an operator would set it knowingly.
      ELASTICACHE_REPLICATION_GROUP_IDS: '*',
      ELASTICACHE_USER_IDS: '*',
    },
    async provision(secretName) {
      const password = newPassword();
      if (tokenMode) {
        await redisAdmin(address, server.admin, [
          ['ACL', 'SETUSER', 'default', 'on', 'resetpass', `>${password}`, '~*', '&*', '+@all'],
        ]);
        return {
          secretString: JSON.stringify({
            host: address.host,
            port: address.port,
            password,
            replicationGroupId: `rg-${secretName.slice(-12)}`,
          }),
        };
      }
      const userName = `ec_${secretName.replace(/[^a-zA-Z0-9]/g, '_').slice(-40)}`;
      const userId = `uid-${secretName.slice(-16)}`;
      api.users.set(userId, userName);
      await redisAdmin(address, server.admin, [
        ['ACL', 'SETUSER', userName, 'reset', 'on', `>${password}`, '~*', '&*', '+@all'],
      ]);
      return {
        secretString: JSON.stringify({
          host: address.host,
          port: address.port,
          username: userName,
          password,
          userId,
        }),
      };
    },
    definition(wrap): FunctionDefinition<unknown, object> {
      return defineRedisFunction({
        connector: (config) =>
          wrap<RedisConnector>('redis', createIoredisConnector(config), {
            children: { open: 'redis.session' },
          }),
        elastiCache: () => wrap<ElastiCachePort>('elasticache', api),
      }) as FunctionDefinition<unknown, object>;
    },
    async authenticates(secretString) {
      const parsed = JSON.parse(secretString) as { username?: string; password: string };
      return redisAuthenticates(address, parsed.username, parsed.password);
    },
    async close() {},
  };
}
