import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRedis, waitUntil, type RedisServer } from '../../../scripts/testbed/servers.ts';
import {
  canLogin,
  everything,
  passwordOf,
  replayRotation,
  run,
  startRedisHarness,
  type RedisHarness,
} from './redis-harness.ts';

// Replicas that come and go, and a failover, on real redis-server processes: a primary and a
// replica with ACL files (restarts keep what ACL SAVE wrote), the default user as the operators'
// admin and replication user, application users created on both.
const ADMIN = 'topology-admin-Pw-01';

async function linkUp(replica: RedisServer, password: string): Promise<boolean> {
  const [info] = await run(replica, undefined, password, [['INFO', 'replication']]);
  return String(info).includes('master_link_status:up');
}

describe('ACL-user mode with a replica that goes down and comes back', () => {
  let primary: RedisServer;
  let replica: RedisServer;
  let h: RedisHarness;

  async function createUser(user: string, password: string): Promise<void> {
    for (const server of [primary, replica]) {
      await run(server, undefined, ADMIN, [
        ['ACL', 'SETUSER', user, 'reset', 'on', `>${password}`, '~*', '&*', '+@all'],
        ['ACL', 'SAVE'],
      ]);
    }
  }

  async function replicaBack(): Promise<void> {
    await replica.start();
    await waitUntil(async () => await linkUp(replica, ADMIN), {
      what: 'the replica to link to its primary again',
      timeoutMs: 15_000,
    });
  }

  beforeAll(async () => {
    primary = await startRedis({ aclFile: true, requirepass: ADMIN });
    replica = await startRedis({
      aclFile: true,
      requirepass: ADMIN,
      masterAuth: ADMIN,
      replicaOf: { host: primary.host, port: primary.port },
    });
    h = await startRedisHarness({ rotationRetries: 0 });
  });

  afterAll(async () => {
    await h?.close();
    await Promise.all([replica?.destroy(), primary?.destroy()]);
  });

  it('fails an emergency rotation while a known replica is down, and revokes the leaked password there once it is back', async () => {
    await createUser('leak', 'leak-initial-Pw-0001');
    const secret = await h.createSecret('redis/emergency-replica-down', {
      host: '127.0.0.1',
      port: primary.port,
      username: 'leak',
      password: 'leak-initial-Pw-0001',
    });
    const { arn, fn } = h.register('emergency-replica-down');
    expect((await h.rotate(secret, arn)).outcome).toBe('succeeded');
    const leaked = passwordOf(await h.current(secret));
    expect(JSON.parse(await h.current(secret))).toMatchObject({
      knownNodes: [`127.0.0.1:${primary.port}`, `127.0.0.1:${replica.port}`],
    });

    await replica.stop();
    await h.tag(secret, { RotationMode: 'emergency' });
    const record = await h.rotate(secret, arn);
    expect(record.outcome).toBe('failed');
    const failed = record.steps.find((s) => !s.ok);
    expect(failed?.step).toBe('setSecret');
    expect(failed?.error?.code).toBe('ERR_TARGET_UNREACHABLE');
    expect(failed?.error?.message).toContain(`127.0.0.1:${replica.port}`);
    expect(h.log.lines.some((l) => l.includes('Emergency rotation complete'))).toBe(false);
    expect(await canLogin(primary, 'leak', leaked)).toBe(true); // nothing changed before the stop

    await replicaBack();
    expect(await canLogin(replica, 'leak', leaked)).toBe(true); // the gap the stop protects
    await replayRotation(fn, secret, record.token);
    const next = passwordOf(await h.current(secret));
    for (const server of [primary, replica]) {
      expect(await canLogin(server, 'leak', leaked)).toBe(false);
      expect(await canLogin(server, 'leak', next)).toBe(true);
    }
    // Revoked for good: the replica's ACL file was saved too.
    await replica.restart();
    expect(await canLogin(replica, 'leak', leaked)).toBe(false);
    await waitUntil(async () => await linkUp(replica, ADMIN), { what: 'the link', timeoutMs: 15_000 });
  });

  it('warns when a known replica is down in a normal rotation, and brings it to the current pair at the next one', async () => {
    await createUser('stale', 'stale-initial-Pw-001');
    const secret = await h.createSecret('redis/normal-replica-down', {
      host: '127.0.0.1',
      port: primary.port,
      username: 'stale',
      password: 'stale-initial-Pw-001',
    });
    const { arn } = h.register('normal-replica-down');
    expect((await h.rotate(secret, arn)).outcome).toBe('succeeded');

    await replica.stop();
    expect((await h.rotate(secret, arn)).outcome).toBe('succeeded');
    expect(
      h.log.lines.some(
        (l) => l.includes('Known Redis nodes cannot be reached') && l.includes(`127.0.0.1:${replica.port}`),
      ),
    ).toBe(true);
    const current = passwordOf(await h.current(secret));

    await replicaBack();
    expect(await canLogin(replica, 'stale', current)).toBe(false); // it missed that rotation
    expect((await h.rotate(secret, arn)).outcome).toBe('succeeded');
    const next = passwordOf(await h.current(secret));
    for (const server of [primary, replica]) {
      expect(await canLogin(server, 'stale', next)).toBe(true);
      expect(await canLogin(server, 'stale', current)).toBe(true);
    }
    expect(h.log.lines.some((l) => l.includes('still on the previous password'))).toBe(true);
    expect(everything(h.log, h.emu.rotations)).not.toContain(next);
  });
});

describe('requirepass mode with a replica that goes down and comes back', () => {
  const R0 = 'requirepass-topo-Pw-01';
  let primary: RedisServer;
  let replica: RedisServer;
  let h: RedisHarness;

  beforeAll(async () => {
    primary = await startRedis({ configFile: true, requirepass: R0 });
    replica = await startRedis({
      configFile: true,
      requirepass: R0,
      masterAuth: R0,
      replicaOf: { host: primary.host, port: primary.port },
    });
    h = await startRedisHarness({ rotationRetries: 0 });
  });

  afterAll(async () => {
    await h?.close();
    await Promise.all([replica?.destroy(), primary?.destroy()]);
  });

  it("updates the stale replica's masterauth and requirepass at the next rotation, and replication comes back", async () => {
    const secret = await h.createSecret('redis/requirepass-replica-down', {
      host: '127.0.0.1',
      port: primary.port,
      password: R0,
      mode: 'requirepass',
    });
    const { arn } = h.register('requirepass-replica-down');
    expect((await h.rotate(secret, arn)).outcome).toBe('succeeded');
    const p1 = passwordOf(await h.current(secret));
    await replica.stop();
    expect((await h.rotate(secret, arn)).outcome).toBe('succeeded');
    const current = passwordOf(await h.current(secret));
    await replica.start();
    // Back on its old requirepass and masterauth, which the primary no longer takes.
    expect(await canLogin(replica, undefined, p1)).toBe(true);
    expect(await canLogin(replica, undefined, current)).toBe(false);
    const [stale] = await run(replica, undefined, p1, [['CONFIG', 'GET', 'masterauth']]);
    expect((stale as string[])[1]).toBe(p1);

    expect((await h.rotate(secret, arn)).outcome).toBe('succeeded');
    const next = passwordOf(await h.current(secret));
    expect(await canLogin(primary, undefined, next)).toBe(true);
    expect(await canLogin(replica, undefined, next)).toBe(true);
    await waitUntil(async () => await linkUp(replica, next), {
      what: 'the healed replica to link with its new masterauth',
      timeoutMs: 15_000,
    });
    const [masterauth] = await run(replica, undefined, next, [['CONFIG', 'GET', 'masterauth']]);
    expect((masterauth as string[])[1]).toBe(next);
  });
});

describe('roles are checked on every node (after a failover)', () => {
  const F0 = 'failover-admin-Pw-01';
  let a: RedisServer;
  let b: RedisServer;
  let h: RedisHarness;

  beforeAll(async () => {
    a = await startRedis({ requirepass: F0, masterAuth: F0 });
    b = await startRedis({ requirepass: F0, masterAuth: F0, replicaOf: { host: a.host, port: a.port } });
    // Failover: b is promoted, a follows it. The secret still names a, and lists b.
    await run(b, undefined, F0, [['REPLICAOF', 'NO', 'ONE']]);
    await run(a, undefined, F0, [['REPLICAOF', b.host, String(b.port)]]);
    await waitUntil(async () => await linkUp(a, F0), { what: 'a to follow b', timeoutMs: 15_000 });
    h = await startRedisHarness({ rotationRetries: 0 });
  });

  afterAll(async () => {
    await h?.close();
    await Promise.all([a?.destroy(), b?.destroy()]);
  });

  it("refuses with ERR_TARGET_UNSAFE when the secret's host is now a replica, even with nodes listed, changing nothing", async () => {
    const secret = await h.createSecret('redis/failover', {
      host: '127.0.0.1',
      port: a.port,
      password: F0,
      nodes: [`127.0.0.1:${b.port}`],
    });
    const { arn } = h.register('failover');
    const record = await h.rotate(secret, arn);
    expect(record.outcome).toBe('failed');
    const failed = record.steps.find((s) => !s.ok);
    expect(failed?.error?.code).toBe('ERR_TARGET_UNSAFE');
    expect(failed?.error?.message).toContain(`127.0.0.1:${a.port} is a replica`);
    for (const server of [a, b]) expect(await canLogin(server, undefined, F0)).toBe(true);
  });

  it('puts the real primary first and moves masterauth on the replica the secret lists, whatever the order given', async () => {
    const secret = await h.createSecret('redis/after-failover', {
      host: '127.0.0.1',
      port: b.port,
      password: F0,
      nodes: [`127.0.0.1:${a.port}`],
    });
    const { arn } = h.register('after-failover', { REDIS_DISCOVER_REPLICAS: 'false' });
    expect((await h.rotate(secret, arn)).outcome).toBe('succeeded');
    expect((await h.rotate(secret, arn)).outcome).toBe('succeeded');
    const next = passwordOf(await h.current(secret));
    expect(await canLogin(b, undefined, F0)).toBe(false);
    const [masterauth] = await run(a, undefined, next, [['CONFIG', 'GET', 'masterauth']]);
    expect((masterauth as string[])[1]).toBe(next);
    await run(a, undefined, next, [['CLIENT', 'KILL', 'TYPE', 'master']]);
    await waitUntil(async () => await linkUp(a, next), {
      what: 'the link with the new masterauth',
      timeoutMs: 15_000,
    });
  });
});
