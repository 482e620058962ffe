import { randomBytes } from 'node:crypto';
import { defineRedisFunction } from '../../../functions/redis/definition.ts';
import { createIoredisConnector } from '../../../functions/redis/ioredis-connector.ts';
import type { RedisConnector } from '../../../functions/redis/redis-port.ts';
import type { FunctionDefinition } from '../../../shared/rotation-function.ts';
import { CredentialModel, type ChaosTarget, type PortWrapper } from './chaos-target.ts';
import { redisAdmin, redisAuthenticates, type RedisAddress } from './redis-probe.ts';

/**
 * Redis against a real server: ACL-user mode (zero downtime: current and pending both
 * valid during the switch) and requirepass mode (single password, a cut-over), each in
 * JSON or URL form. The function's Redis connector is wrapped: `redis.open` (connect and
 * AUTH) and every `redis.session.call` / `redis.session.close` are injection points.
 * A separate admin ACL user (never rotated) provisions users and resets requirepass.
 */
export type RedisChaosMode = 'acl' | 'requirepass';
export type SecretShape = 'json' | 'url';

export interface RedisTargetServer {
  readonly address: RedisAddress;
  readonly admin: { readonly username: string; readonly password: string };
}

export const newPassword = (): string => randomBytes(18).toString('base64url');

/** The Redis function with its connector wrapped: `redis.open` and each `redis.session.*` are injection points. */
export function redisDefinition(wrap: PortWrapper): FunctionDefinition<unknown, object> {
  return defineRedisFunction({
    connector: (config) =>
      wrap<RedisConnector>('redis', createIoredisConnector(config), {
        children: { open: 'redis.session' },
      }),
  }) as FunctionDefinition<unknown, object>;
}

export function redisTarget(
  mode: RedisChaosMode,
  shape: SecretShape,
  server: RedisTargetServer,
): ChaosTarget {
  const { address, admin } = server;
  const user = (secretName: string): string | undefined =>
    mode === 'acl' ? `u_${secretName.replace(/[^a-zA-Z0-9]/g, '_').slice(-40)}` : undefined;
  const usernameOf = new Map<string, string | undefined>();
  return {
    name: `redis/${mode}/${shape}`,
    model: mode === 'acl' ? CredentialModel.zeroDowntime : CredentialModel.single,
    emergency: mode === 'acl',
    repairSafe: mode === 'acl',
    exclusive: mode === 'requirepass',
    env: { REDIS_MODE: mode, REDIS_CONNECT_TIMEOUT_MS: '2000', REDIS_COMMAND_TIMEOUT_MS: '2000' },
    async provision(secretName) {
      const password = newPassword();
      const username = user(secretName);
      if (username !== undefined)
        await redisAdmin(address, admin, [
          ['ACL', 'SETUSER', username, 'reset', 'on', `>${password}`, '~*', '&*', '+@all'],
        ]);
      else await redisAdmin(address, admin, [['CONFIG', 'SET', 'requirepass', password]]);
      const secretString =
        shape === 'json'
          ? JSON.stringify({
              host: address.host,
              port: address.port,
              ...(username !== undefined ? { username } : {}),
              password,
              mode,
            })
          : `redis://${username ?? ''}:${encodeURIComponent(password)}@${address.host}:${address.port}`;
      usernameOf.set(secretString, username);
      return { secretString };
    },
    definition: redisDefinition,
    async authenticates(secretString) {
      let username: string | undefined;
      let password: string;
      if (secretString.startsWith('{')) {
        const parsed = JSON.parse(secretString) as { username?: string; password: string };
        username = parsed.username;
        password = parsed.password;
      } else {
        const url = new URL(secretString);
        username = url.username === '' ? undefined : decodeURIComponent(url.username);
        password = decodeURIComponent(url.password);
      }
      return redisAuthenticates(address, username, password);
    },
    async close() {},
  };
}
