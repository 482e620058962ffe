import { Redis } from 'ioredis';

export interface RedisAddress {
  readonly host: string;
  readonly port: number;
}

function client(
  address: RedisAddress,
  username: string | undefined,
  password: string | undefined,
  errors: unknown[] = [],
): Redis {
  const redis = new Redis({
    host: address.host,
    port: address.port,
    ...(username !== undefined ? { username } : {}),
    ...(password !== undefined ? { password } : {}),
    lazyConnect: true,
    connectTimeout: 3000,
    commandTimeout: 3000,
    retryStrategy: () => null,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    enableReadyCheck: false,
    disableClientInfo: true,
  });
  redis.on('error', (error: unknown) => errors.push(error));
  return redis;
}

/** Does this username/password open a session and run PING? (the observer's check, unfaulted) */
export async function redisAuthenticates(
  address: RedisAddress,
  username: string | undefined,
  password: string,
): Promise<boolean> {
  const errors: unknown[] = [];
  const redis = client(address, username, password, errors);
  try {
    await redis.connect();
    return (await redis.ping()) === 'PONG';
  } catch (error) {
    // ioredis 6 rejects connect() with "Connection is closed." and emits the AUTH reply as an 'error' event.
    const text = [error, ...errors].map((e) => (e instanceof Error ? e.message : String(e))).join(' | ');
    if (/WRONGPASS|NOAUTH|invalid username-password|NOPERM|disabled/i.test(text)) return false;
    throw error;
  } finally {
    redis.disconnect();
  }
}

/** Run admin commands on a server (set up users, requirepass) with the admin credential. */
export async function redisAdmin(
  address: RedisAddress,
  admin: { readonly username?: string; readonly password?: string },
  commands: readonly (readonly string[])[],
): Promise<unknown[]> {
  const redis = client(address, admin.username, admin.password);
  try {
    await redis.connect();
    const out: unknown[] = [];
    for (const [command, ...args] of commands) out.push(await redis.call(command as string, ...args));
    return out;
  } finally {
    redis.disconnect();
  }
}
