import { randomBytes } from 'node:crypto';
import { DescribeSecretCommand } from '@aws-sdk/client-secrets-manager';
import { Redis } from 'ioredis';
import { RespError, sendCommands } from '../../testbed/resp.ts';
import type { Check, Demo, DemoStack } from '../demo.ts';

/** Redis ACL users against a real Redis 7: AUTH with the values from the secret. */

type RedisTarget = DemoStack['redis'];

/** 'ok', or the server's error class (WRONGPASS: bad user or password), from a plain AUTH. */
async function auth(target: RedisTarget, username: string, password: string): Promise<string> {
  try {
    const [reply] = await sendCommands(target, [['AUTH', username, password]], 3000);
    return reply instanceof RespError ? (reply.message.split(' ')[0] ?? 'error') : 'ok';
  } catch (error) {
    return error instanceof Error ? error.name : 'error';
  }
}

async function asAdmin<T>(target: RedisTarget, work: (client: Redis) => Promise<T>): Promise<T> {
  const client = new Redis({
    host: target.host,
    port: target.port,
    password: target.adminPassword,
    lazyConnect: true,
    retryStrategy: () => null,
    maxRetriesPerRequest: 0,
  });
  client.on('error', () => undefined);
  await client.connect();
  try {
    return await work(client);
  } finally {
    client.disconnect();
  }
}

const PERMISSIONS = [
  '~demo:*',
  'resetchannels',
  '+@read',
  '+@write',
  '+@connection',
  '+acl|getuser',
  '+acl|setuser',
  '+acl|save',
  '+role',
  '+info',
  '+config|get',
  '+client|kill',
  '+dbsize',
];

async function passwordCount(target: RedisTarget, username: string): Promise<number> {
  return asAdmin(target, async (client) => {
    const user = (await client.call('ACL', 'GETUSER', username)) as unknown[];
    const index = user.indexOf('passwords');
    return Array.isArray(user[index + 1]) ? (user[index + 1] as unknown[]).length : -1;
  });
}

const acl: Demo = {
  title: 'Redis, ACL user (two passwords during the switch)',
  kind: 'redis',
  secretName: 'demo/redis/acl',
  async setup(stack) {
    const first = randomBytes(24).toString('base64url');
    // Least privilege for an application that rotates its own password.
    await asAdmin(stack.redis, (client) =>
      client.call('ACL', 'SETUSER', 'demo_app', 'on', `>${first}`, ...PERMISSIONS),
    );
    return JSON.stringify({
      host: stack.redis.host,
      port: stack.redis.port,
      username: 'demo_app',
      password: first,
    });
  },
  async verify(stack, { current, previous }) {
    const now = JSON.parse(current) as { username: string; password: string };
    const before = JSON.parse(previous) as { password: string };
    const newAuth = await auth(stack.redis, now.username, now.password);
    const oldAuth = await auth(stack.redis, now.username, before.password);
    const passwords = await passwordCount(stack.redis, now.username);
    return [
      {
        label: `new: ${now.username} authenticates with the AWSCURRENT password (${newAuth})`,
        ok: newAuth === 'ok',
      },
      {
        label: `old: the AWSPREVIOUS password still works until the next rotation (${oldAuth}); the user holds ${passwords} password hashes`,
        ok: oldAuth === 'ok' && passwords === 2,
      },
    ] satisfies Check[];
  },
};

const emergencyUrl: Demo = {
  title: 'Redis, ACL user as a redis:// URL, emergency rotation',
  kind: 'redis',
  secretName: 'demo/redis/url-emergency',
  emergency: true,
  async setup(stack) {
    const first = randomBytes(24).toString('base64url');
    await asAdmin(stack.redis, (client) =>
      client.call('ACL', 'SETUSER', 'demo_leaked', 'on', `>${first}`, ...PERMISSIONS),
    );
    return `redis://demo_leaked:${encodeURIComponent(first)}@${stack.redis.host}:${stack.redis.port}/0`;
  },
  async verify(stack, { current, previous }) {
    const now = new URL(current);
    const before = new URL(previous);
    const user = decodeURIComponent(now.username);
    const newAuth = await auth(stack.redis, user, decodeURIComponent(now.password));
    const oldAuth = await auth(stack.redis, user, decodeURIComponent(before.password));
    const passwords = await passwordCount(stack.redis, user);
    const tagged =
      (await stack.sm.send(new DescribeSecretCommand({ SecretId: 'demo/redis/url-emergency' }))).Tags ?? [];
    return [
      {
        label: `the secret kept its redis:// URL shape (user ${user})`,
        ok: now.protocol === 'redis:' && user === 'demo_leaked',
      },
      { label: `new: ${user} authenticates with the AWSCURRENT password (${newAuth})`, ok: newAuth === 'ok' },
      {
        label: `old: the leaked AWSPREVIOUS password is revoked at once (${oldAuth}); the user holds ${passwords} password hash`,
        ok: oldAuth === 'WRONGPASS' && passwords === 1,
      },
      {
        label: 'the RotationMode=emergency tag was removed after the rotation',
        ok: !tagged.some((tag) => tag.Key === 'RotationMode'),
      },
    ] satisfies Check[];
  },
};

export const redisDemos: readonly Demo[] = [acl, emergencyUrl];
