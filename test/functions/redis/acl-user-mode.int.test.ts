import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Redis } from 'ioredis';
import { createIoredisConnector } from '../../../functions/redis/ioredis-connector.ts';
import type { RedisConnector } from '../../../functions/redis/redis-port.ts';
import { startRedis, waitUntil, type RedisServer } from '../../../scripts/testbed/servers.ts';
import {
  canLogin,
  connect,
  everything,
  passwordOf,
  replicasSeenBy,
  run,
  startRedisHarness,
  startSyncingReplica,
  type RedisHarness,
} from './redis-harness.ts';

// A primary with an ACL file and a replica (ACL changes are not replicated), the default
// user as the operators' admin, and application users created on both nodes.
const ADMIN = 'admin-Pw-0123456789';
const P0 = 'app-initial-Pw-0001';

describe('ACL-user mode against a real primary and replica', () => {
  let primary: RedisServer;
  let replica: RedisServer;
  let h: RedisHarness;
  const monitorLines: string[] = [];
  const monitors: Redis[] = [];

  async function createUser(user: string, password: string, rules: string[]): Promise<void> {
    for (const server of [primary, replica]) {
      await run(server, undefined, ADMIN, [
        ['ACL', 'SETUSER', user, 'reset', 'on', `>${password}`, '~*', '&*', ...rules],
      ]);
    }
  }

  async function passwordHashes(server: RedisServer, user: string): Promise<string[]> {
    const [reply] = await run(server, undefined, ADMIN, [['ACL', 'GETUSER', user]]);
    const fields = reply as unknown[];
    return (fields[fields.indexOf('passwords') + 1] as string[]).slice().sort();
  }

  beforeAll(async () => {
    primary = await startRedis({ aclFile: true, requirepass: ADMIN });
    replica = await startRedis({
      replicaOf: { host: primary.host, port: primary.port },
      masterAuth: ADMIN,
      requirepass: ADMIN,
    });
    h = await startRedisHarness({ rotationRetries: 0 });
    for (const server of [primary, replica]) {
      const monitor = await (await connect(server, undefined, ADMIN)).monitor();
      monitor.on('error', () => undefined);
      monitor.on('monitor', (_time: string, args: string[]) => monitorLines.push(args.join(' ')));
      monitors.push(monitor);
    }
  });

  afterAll(async () => {
    for (const monitor of monitors) monitor.disconnect();
    await h?.close();
    await Promise.all([replica?.destroy(), primary?.destroy()]);
  });

  it('rotates a JSON secret with zero downtime, then refuses the oldest password everywhere after the next rotation', async () => {
    await createUser('app', P0, ['+@all']);
    const held = await connect(primary, 'app', P0);
    const probes: string[] = [];
    const { arn: fn } = h.register('acl-json', {}, {}, async ({ Step }) => {
      // A client holding the current password keeps working, and a fresh login with it works on every node.
      await held.set('probe', Step);
      probes.push(`${Step}:${await held.get('probe')}`);
      for (const server of [primary, replica]) expect(await canLogin(server, 'app', P0)).toBe(true);
    });
    const secret = await h.createSecret(
      'redis/acl-json',
      JSON.stringify({
        host: '127.0.0.1',
        port: primary.port,
        username: 'app',
        password: P0,
        team: 'payments',
      }),
    );

    const first = await h.rotate(secret, fn);
    expect(first.outcome).toBe('succeeded');
    expect(probes).toEqual([
      'createSecret:createSecret',
      'setSecret:setSecret',
      'testSecret:testSecret',
      'finishSecret:finishSecret',
    ]);
    const afterFirst = JSON.parse(await h.current(secret)) as Record<string, unknown>;
    const p1 = afterFirst['password'] as string;
    expect(afterFirst).toMatchObject({
      host: '127.0.0.1',
      port: primary.port,
      username: 'app',
      team: 'payments',
    });
    expect(p1).not.toBe(P0);
    for (const server of [primary, replica]) {
      expect(await canLogin(server, 'app', p1)).toBe(true);
      expect(await canLogin(server, 'app', P0)).toBe(true); // previous still valid until the next rotation
      expect(await passwordHashes(server, 'app')).toHaveLength(2);
    }

    const { arn: fn2 } = h.register('acl-json-2');
    const second = await h.rotate(secret, fn2);
    expect(second.outcome).toBe('succeeded');
    const p2 = passwordOf(await h.current(secret));
    for (const server of [primary, replica]) {
      expect(await canLogin(server, 'app', P0)).toBe(false);
      expect(await canLogin(server, 'app', p1)).toBe(true);
      expect(await canLogin(server, 'app', p2)).toBe(true);
    }
    held.disconnect();

    // A restart of the node with an ACL file keeps the new password (ACL SAVE ran).
    await primary.restart();
    expect(await canLogin(primary, 'app', p2)).toBe(true);
    expect(await canLogin(primary, 'app', P0)).toBe(false);
    // Discovery sees connected replicas only: let the replica come back before the next tests.
    await waitUntil(
      async () => {
        const [role] = await run(primary, undefined, ADMIN, [['ROLE']]);
        return ((role as unknown[])[2] as unknown[]).length === 1;
      },
      { what: 'the replica to reconnect after the primary restart', timeoutMs: 10_000 },
    );

    // Nothing secret in the command stream of either node, nor in logs and errors.
    // (Redis 7 leaves admin commands out of MONITOR; the unit tests prove ACL SETUSER carries only hashes.)
    const stream = monitorLines.join('\n');
    expect(stream.toLowerCase()).toContain('dbsize');
    for (const password of [P0, p1, p2]) {
      expect(stream).not.toContain(password);
      expect(everything(h.log, h.emu.rotations)).not.toContain(password);
    }
    // The monitors died with the restart; reattach for later tests is not needed.
  });

  it('rotates a URL secret with an admin credential and re-runs every step without harm', async () => {
    const user = 'url-user';
    const initial = 'url:pw/with@odd%chars';
    await createUser(user, initial, ['+@read', '+@write', '+ping', '+dbsize']);
    const admin = await h.createSecret(
      'redis/admin',
      `redis://:${encodeURIComponent(ADMIN)}@127.0.0.1:${primary.port}`,
    );
    const url = `redis://${user}:${encodeURIComponent(initial)}@127.0.0.1:${primary.port}/0`;
    const secret = await h.createSecret('redis/acl-url', url);
    let reruns = 0;
    const registered = h.register('acl-url', { REDIS_ADMIN_SECRET_ARN: admin }, {}, async (event) => {
      // Every step runs twice: the second run must succeed and change nothing.
      await registered.fn.invoke(event);
      reruns += 1;
    });
    const record = await h.rotate(secret, registered.arn);
    expect(record.outcome).toBe('succeeded');
    expect(reruns).toBe(4);
    const text = await h.current(secret);
    expect(text.startsWith(`redis://${user}:`)).toBe(true);
    expect(text.endsWith(`@127.0.0.1:${primary.port}/0`)).toBe(true);
    const next = passwordOf(text);
    for (const server of [primary, replica]) {
      expect(await canLogin(server, user, next)).toBe(true);
      expect(await canLogin(server, user, initial)).toBe(true);
      expect(await passwordHashes(server, user)).toHaveLength(2);
    }
    expect(everything(h.log, h.emu.rotations)).not.toContain(next);
  });

  it('recovers after a crash between the primary and the replica', async () => {
    await createUser('crash', P0, ['+@all']);
    const real = createIoredisConnector({ connectTimeoutMs: 2000, commandTimeoutMs: 2000 });
    let crashed = false;
    let stateAtCrash: { primary: number; replica: number } | undefined;
    const crashing: RedisConnector = {
      async open(endpoint, credentials, options) {
        const session = await real.open(endpoint, credentials, options);
        return {
          ...session,
          endpoint: session.endpoint,
          close: () => session.close(),
          async call(command, args = [], callOptions) {
            if (!crashed && endpoint.port === replica.port && command === 'ACL' && args[0] === 'SETUSER') {
              crashed = true;
              stateAtCrash = {
                primary: (await passwordHashes(primary, 'crash')).length,
                replica: (await passwordHashes(replica, 'crash')).length,
              };
              throw new Error('simulated crash');
            }
            return session.call(command, args, callOptions);
          },
        };
      },
    };
    const retrying = await startRedisHarness({ rotationRetries: 1 });
    try {
      const created = await retrying.createSecret(
        'redis/acl-crash',
        JSON.stringify({ host: '127.0.0.1', port: primary.port, username: 'crash', password: P0 }),
      );
      const { arn } = retrying.register('acl-crash', {}, { connector: () => crashing });
      const record = await retrying.rotate(created, arn);
      expect(crashed).toBe(true);
      expect(stateAtCrash).toEqual({ primary: 2, replica: 1 });
      expect(record.attempts).toBe(2);
      expect(record.outcome).toBe('succeeded');
      const next = passwordOf(await retrying.current(created));
      for (const server of [primary, replica]) {
        expect(await canLogin(server, 'crash', next)).toBe(true);
        expect(await canLogin(server, 'crash', P0)).toBe(true);
      }
    } finally {
      await retrying.close();
    }
  });

  it('revokes everything but the new password and closes old sessions in an emergency', async () => {
    await createUser('victim', P0, ['+@all']);
    const secret = await h.createSecret(
      'redis/acl-emergency',
      JSON.stringify({ host: '127.0.0.1', port: primary.port, username: 'victim', password: P0 }),
      {
        RotationMode: 'emergency',
      },
    );
    const held = await connect(primary, 'victim', P0);
    const heldReplica = await connect(replica, 'victim', P0);
    const { arn } = h.register('acl-emergency');
    const record = await h.rotate(secret, arn);
    expect(record.outcome).toBe('succeeded');
    const next = passwordOf(await h.current(secret));
    for (const server of [primary, replica]) {
      expect(await canLogin(server, 'victim', P0)).toBe(false);
      expect(await canLogin(server, 'victim', next)).toBe(true);
      expect(await passwordHashes(server, 'victim')).toHaveLength(1);
    }
    await expect(held.ping()).rejects.toThrow();
    await expect(heldReplica.ping()).rejects.toThrow();
    held.disconnect();
    heldReplica.disconnect();
    expect(h.log.lines.some((line) => line.includes('Emergency: removed every other password'))).toBe(true);
  });

  describe('bad inputs fail with a stable code and change nothing', () => {
    async function expectFailure(
      name: string,
      value: string,
      user: string | undefined,
      code: string,
      password: string,
    ): Promise<void> {
      const before = user
        ? { primary: await passwordHashes(primary, user), replica: await passwordHashes(replica, user) }
        : undefined;
      const secret = await h.createSecret(name, value);
      const { arn } = h.register(name.replace(/[^a-zA-Z0-9-_]/g, '-'));
      const record = await h.rotate(secret, arn);
      expect(record.outcome).toBe('failed');
      const failed = record.steps.find((s) => !s.ok);
      expect(failed?.error?.code).toBe(code);
      expect(await h.current(secret)).toBe(value);
      if (user && before) {
        expect(await passwordHashes(primary, user)).toEqual(before.primary);
        expect(await passwordHashes(replica, user)).toEqual(before.replica);
      }
      expect(everything(h.log, h.emu.rotations)).not.toContain(password);
    }

    it('refuses a URL without a password', async () => {
      await expectFailure(
        'redis/bad-url',
        `redis://app-nopw-user@127.0.0.1:${primary.port}/0`,
        undefined,
        'ERR_SECRET_MALFORMED',
        'app-nopw-user@127',
      );
    });

    it('refuses an unknown mode', async () => {
      await expectFailure(
        'redis/bad-mode',
        JSON.stringify({
          host: '127.0.0.1',
          port: primary.port,
          username: 'app',
          password: 'whatever-123',
          mode: 'sentinel',
        }),
        undefined,
        'ERR_UNSUPPORTED_MODE',
        'whatever-123',
      );
    });

    it('refuses when a listed replica cannot be reached, before touching the primary', async () => {
      await createUser('reach', P0, ['+@all']);
      await expectFailure(
        'redis/unreachable',
        JSON.stringify({
          host: '127.0.0.1',
          port: primary.port,
          username: 'reach',
          password: P0,
          nodes: [`127.0.0.1:${replica.port}`, '127.0.0.1:1'],
        }),
        'reach',
        'ERR_TARGET_UNREACHABLE',
        P0,
      );
    });

    it('refuses a user that may not run ACL SETUSER, naming the fix', async () => {
      await createUser('limited', P0, ['+@all', '-@admin']);
      await expectFailure(
        'redis/noperm',
        JSON.stringify({ host: '127.0.0.1', port: primary.port, username: 'limited', password: P0 }),
        'limited',
        'ERR_TARGET_PERMISSION_DENIED',
        P0,
      );
      expect(h.log.lines.some((line) => line.includes('adminSecretArn'))).toBe(true);
    });
  });
});

describe('ACL-user mode rotating the user replicas authenticate as', () => {
  const R0 = 'replication-Pw-00001';
  let primary: RedisServer;
  let replica: RedisServer;
  let h: RedisHarness;

  beforeAll(async () => {
    primary = await startRedis({ requirepass: R0 });
    replica = await startRedis({
      replicaOf: { host: primary.host, port: primary.port },
      masterAuth: R0,
      requirepass: R0,
    });
    h = await startRedisHarness();
  });

  afterAll(async () => {
    await h?.close();
    await Promise.all([replica?.destroy(), primary?.destroy()]);
  });

  it("moves the replica's masterauth along so replication survives a reconnect", async () => {
    const secret = await h.createSecret(
      'redis/acl-default',
      JSON.stringify({ host: '127.0.0.1', port: primary.port, password: R0 }),
    );
    const { arn } = h.register('acl-default');
    expect((await h.rotate(secret, arn)).outcome).toBe('succeeded');
    // A second rotation: R0 is now refused, so a stale masterauth would break replication.
    expect((await h.rotate(secret, arn)).outcome).toBe('succeeded');
    const next = passwordOf(await h.current(secret));
    expect(await canLogin(primary, undefined, R0)).toBe(false);
    const [masterauth] = await run(replica, undefined, next, [['CONFIG', 'GET', 'masterauth']]);
    expect((masterauth as string[])[1]).toBe(next);
    // Drop the link: the replica must re-authenticate with the new password.
    await run(replica, undefined, next, [['CLIENT', 'KILL', 'TYPE', 'master']]);
    await waitUntil(
      async () =>
        String((await run(replica, undefined, next, [['INFO', 'replication']]))[0]).includes(
          'master_link_status:up',
        ),
      { what: 'the replication link to come back with the new masterauth', timeoutMs: 10_000 },
    );
    expect(await canLogin(replica, undefined, next)).toBe(true);
  });
});

describe('ACL-user mode with a replica still in its full sync', () => {
  const S0 = 'syncing-Pw-000000001';
  let primary: RedisServer;
  let replica: RedisServer | undefined;
  let h: RedisHarness;

  beforeAll(async () => {
    primary = await startRedis({ requirepass: S0 });
    h = await startRedisHarness();
  });

  afterAll(async () => {
    await h?.close();
    await Promise.all([replica?.destroy(), primary?.destroy()]);
  });

  it('changes the replica the primary does not list in ROLE yet, so the next rotation still opens it', async () => {
    const syncing = await startSyncingReplica(primary, S0);
    replica = syncing.replica;
    // The gap this proves: ROLE leaves the attached replica out.
    expect(await replicasSeenBy(primary, S0)).toEqual({ role: 0, info: ['wait_bgsave'] });
    const secret = await h.createSecret(
      'redis/acl-syncing',
      JSON.stringify({ host: '127.0.0.1', port: primary.port, password: S0 }),
    );
    const { arn } = h.register('acl-syncing');
    expect((await h.rotate(secret, arn)).outcome).toBe('succeeded');
    const next = passwordOf(await h.current(secret));
    expect(await canLogin(replica, undefined, next)).toBe(true);
    const [masterauth] = await run(replica, undefined, next, [['CONFIG', 'GET', 'masterauth']]);
    expect((masterauth as string[])[1]).toBe(next);
    await syncing.releaseSync(next, next);
    expect((await h.rotate(secret, arn)).outcome).toBe('succeeded');
    const last = passwordOf(await h.current(secret));
    for (const server of [primary, replica]) {
      expect(await canLogin(server, undefined, S0)).toBe(false);
      expect(await canLogin(server, undefined, last)).toBe(true);
    }
  });
});

describe('ACL-user mode on the default user of a requirepass server started from redis.conf', () => {
  const C0 = 'conf-plaintext-Pw-0001';
  let server: RedisServer;
  let h: RedisHarness;

  beforeAll(async () => {
    server = await startRedis({ configFile: true, requirepass: C0 });
    h = await startRedisHarness();
  });

  afterAll(async () => {
    await h?.close();
    await server?.destroy();
  });

  it('leaves no plaintext password in redis.conf, keeps both passwords working, and a restart keeps the new pair', async () => {
    const configFile = server.configFilePath ?? '';
    expect(readFileSync(configFile, 'utf8')).toContain(C0); // the gap: requirepass in plaintext
    const secret = await h.createSecret('redis/acl-conf', {
      host: '127.0.0.1',
      port: server.port,
      password: C0,
    });
    const { arn } = h.register('acl-conf');
    expect((await h.rotate(secret, arn)).outcome).toBe('succeeded');
    const next = passwordOf(await h.current(secret));
    const text = readFileSync(configFile, 'utf8');
    expect(text).not.toContain(C0);
    expect(text).not.toContain(next);
    expect(text).not.toMatch(/^requirepass/m);
    const [requirepass] = await run(server, undefined, next, [['CONFIG', 'GET', 'requirepass']]);
    expect((requirepass as string[])[1]).toBe('');
    expect(await canLogin(server, undefined, C0)).toBe(true); // zero downtime: both until the next rotation
    await server.restart();
    expect(await canLogin(server, undefined, next)).toBe(true);
    expect(await canLogin(server, undefined, C0)).toBe(true);
    expect(await canLogin(server, 'default', 'wrong-password-000')).toBe(false);
  });
});
