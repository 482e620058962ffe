import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import type { Check, Demo, DemoStack } from '../demo.ts';

/** Redis ACL users against a real Redis 7: AUTH with the values from the secret. */

type RedisTarget = DemoStack['redis'];

/** 'ok', or the server's error class (WRONGPASS: bad user or password). */
async function auth(target: RedisTarget, username: string, password: string): Promise<string> {
  const client = new Redis({ host: target.host, port: target.port, username, password, lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 0, enableOfflineQueue: false });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.ping();
    return 'ok';
  } catch (error) {
    return (error instanceof Error ? error.message : String(error)).split(' ')[0] ?? 'error';
  } finally {
    client.disconnect();
  }
}

async function asAdmin<T>(target: RedisTarget, work: (client: Redis) => Promise<T>): Promise<T> {
  const client = new Redis({ host: target.host, port: target.port, password: target.adminPassword, lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 0 });
  client.on('error', () => undefined);
  await client.connect();
  try {
    return await work(client);
  } finally {
    client.disconnect();
  }
}

const acl: Demo = {
  title: 'Redis, ACL user (two passwords during the switch)',
  kind: 'redis',
  secretName: 'demo/redis/acl',
  async setup(stack) {
    const first = randomBytes(24).toString('base64url');
    // Least privilege for an application that rotates its own password.
    await asAdmin(stack.redis, (client) =>
      client.call('ACL', 'SETUSER', 'demo_app', 'on', `>${first}`, '~demo:*', 'resetchannels', '+@read', '+@write', '+@connection', '+acl|getuser', '+acl|setuser', '+acl|save', '+role', '+info', '+config|get', '+client|kill', '+dbsize'),
    );
    return JSON.stringify({ host: stack.redis.host, port: stack.redis.port, username: 'demo_app', password: first });
  },
  async verify(stack, { current, previous }) {
    const now = JSON.parse(current) as { username: string; password: string };
    const before = JSON.parse(previous) as { password: string };
    const newAuth = await auth(stack.redis, now.username, now.password);
    const oldAuth = await auth(stack.redis, now.username, before.password);
    const passwords = await asAdmin(stack.redis, async (client) => {
      const user = (await client.call('ACL', 'GETUSER', now.username)) as unknown[];
      const index = user.indexOf('passwords');
      return Array.isArray(user[index + 1]) ? (user[index + 1] as unknown[]).length : -1;
    });
    return [
      { label: `new: ${now.username} authenticates with the AWSCURRENT password (${newAuth})`, ok: newAuth === 'ok' },
      { label: `old: the AWSPREVIOUS password still works until the next rotation (${oldAuth}); the user holds ${passwords} password hashes`, ok: oldAuth === 'ok' && passwords === 2 },
    ] satisfies Check[];
  },
};

export const redisDemos: readonly Demo[] = [acl];
