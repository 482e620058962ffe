import { Cluster } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRedisCluster, type RedisCluster } from '../../../scripts/testbed/servers.ts';
import {
  canLogin,
  everything,
  passwordOf,
  run,
  startRedisHarness,
  type RedisHarness,
} from './redis-harness.ts';

// A real Redis Cluster: 3 masters with one replica each, users in ACL files, the default user as
// the operators' admin. ACL users are per node: a cluster replicates neither ACLs nor CONFIG SET.
const ADMIN = 'cluster-admin-Pw-01';
const P0 = 'cluster-app-Pw-00001';

describe('ACL-user mode on a Redis Cluster (3 masters, 3 replicas)', () => {
  let cluster: RedisCluster;
  let h: RedisHarness;

  async function createUser(user: string, password: string): Promise<void> {
    for (const node of cluster.nodes) {
      await run(node, undefined, ADMIN, [
        ['ACL', 'SETUSER', user, 'reset', 'on', `>${password}`, '~*', '&*', '+@all'],
        ['ACL', 'SAVE'],
      ]);
    }
  }

  /** Write and read back a key in every shard through a cluster client logged in as the user. */
  async function clusterClientWorks(user: string, password: string): Promise<boolean> {
    const [first] = cluster.masters;
    const client = new Cluster([{ host: '127.0.0.1', port: first?.port ?? 0 }], {
      redisOptions: { username: user, password, connectTimeout: 2000, maxRetriesPerRequest: 0 },
      clusterRetryStrategy: () => null,
      enableOfflineQueue: false,
      lazyConnect: true,
    });
    client.on('error', () => undefined);
    try {
      await client.connect();
      // {a}, {b}, {c} hash to slots 15495, 3300 and 7365: one key in each shard.
      for (const tag of ['a', 'b', 'c']) {
        await client.set(`{${tag}}probe`, tag);
        if ((await client.get(`{${tag}}probe`)) !== tag) return false;
      }
      return true;
    } catch {
      return false;
    } finally {
      client.disconnect();
    }
  }

  beforeAll(async () => {
    cluster = await startRedisCluster({ masters: 3, replicasPerMaster: 1, password: ADMIN, aclFile: true });
    h = await startRedisHarness({ rotationRetries: 0 });
  });

  afterAll(async () => {
    await h?.close();
    await cluster?.destroy();
  });

  it('rotates the user on every node of every shard, naming one node, and remembers the nodes', async () => {
    await createUser('app', P0);
    const [named] = cluster.masters;
    const secret = await h.createSecret('redis/cluster', {
      host: '127.0.0.1',
      port: named?.port,
      username: 'app',
      password: P0,
    });
    const { arn } = h.register('cluster');
    expect((await h.rotate(secret, arn)).outcome).toBe('succeeded');
    const stored = JSON.parse(await h.current(secret)) as { password: string; knownNodes: string[] };
    const p1 = stored.password;
    for (const node of cluster.nodes) {
      expect(await canLogin(node, 'app', p1)).toBe(true);
      expect(await canLogin(node, 'app', P0)).toBe(true); // zero downtime: the old one until the next rotation
    }
    expect(await clusterClientWorks('app', p1)).toBe(true);
    expect(stored.knownNodes.slice().sort()).toEqual(cluster.nodes.map((n) => `127.0.0.1:${n.port}`).sort());

    expect((await h.rotate(secret, arn)).outcome).toBe('succeeded');
    const p2 = passwordOf(await h.current(secret));
    for (const node of cluster.nodes) {
      expect(await canLogin(node, 'app', p2)).toBe(true);
      expect(await canLogin(node, 'app', P0)).toBe(false);
    }
    expect(await clusterClientWorks('app', p2)).toBe(true);
    expect(everything(h.log, h.emu.rotations)).not.toContain(p2);
  });

  it('stops an emergency rotation while a replica is down, then revokes everywhere once it is back', async () => {
    const E0 = 'cluster-leaked-Pw-01';
    await createUser('leaky', E0);
    const secret = await h.createSecret('redis/cluster-emergency', {
      host: '127.0.0.1',
      port: cluster.masters[1]?.port,
      username: 'leaky',
      password: E0,
    });
    const { arn, fn } = h.register('cluster-emergency');
    // A normal rotation first, so the deployment's nodes are on record.
    expect((await h.rotate(secret, arn)).outcome).toBe('succeeded');
    const leaked = passwordOf(await h.current(secret));
    const down = cluster.replicas[2];
    if (down === undefined) throw new Error('no replica');
    await down.stop();
    await h.tag(secret, { RotationMode: 'emergency' });

    const record = await h.rotate(secret, arn);
    expect(record.outcome).toBe('failed');
    const failed = record.steps.find((s) => !s.ok);
    expect(failed?.step).toBe('setSecret');
    expect(failed?.error?.code).toBe('ERR_TARGET_UNREACHABLE');
    expect(failed?.error?.message).toContain(`127.0.0.1:${down.port}`);
    for (const node of cluster.nodes.filter((n) => n !== down)) {
      expect(await canLogin(node, 'leaky', leaked)).toBe(true); // nothing changed
    }

    // The replica comes back (its ACL file still holds the leaked password); the retry revokes it there too.
    await down.start();
    await cluster.waitHealthy(ADMIN);
    for (const Step of ['setSecret', 'testSecret', 'finishSecret']) {
      await fn.invoke({ Step, SecretId: secret, ClientRequestToken: record.token });
    }
    const next = passwordOf(await h.current(secret));
    for (const node of cluster.nodes) {
      expect(await canLogin(node, 'leaky', leaked)).toBe(false);
      expect(await canLogin(node, 'leaky', E0)).toBe(false);
      expect(await canLogin(node, 'leaky', next)).toBe(true);
    }
    expect(await clusterClientWorks('leaky', next)).toBe(true);
  });

  it('warns and rotates the rest when a replica is down in a normal rotation, and heals it at the next one', async () => {
    const N0 = 'cluster-normal-Pw-01';
    await createUser('comeback', N0);
    const secret = await h.createSecret('redis/cluster-normal', {
      host: '127.0.0.1',
      port: cluster.masters[2]?.port,
      username: 'comeback',
      password: N0,
    });
    const { arn } = h.register('cluster-normal');
    expect((await h.rotate(secret, arn)).outcome).toBe('succeeded');
    const down = cluster.replicas[0];
    if (down === undefined) throw new Error('no replica');
    await down.stop();
    expect((await h.rotate(secret, arn)).outcome).toBe('succeeded');
    expect(
      h.log.lines.some(
        (l) => l.includes('Known Redis nodes cannot be reached') && l.includes(String(down.port)),
      ),
    ).toBe(true);
    const current = passwordOf(await h.current(secret));

    await down.start();
    await cluster.waitHealthy(ADMIN);
    expect(await canLogin(down, 'comeback', current)).toBe(false); // stale: it missed a rotation
    expect((await h.rotate(secret, arn)).outcome).toBe('succeeded');
    const healed = passwordOf(await h.current(secret));
    for (const node of cluster.nodes) {
      expect(await canLogin(node, 'comeback', healed)).toBe(true);
      expect(await canLogin(node, 'comeback', current)).toBe(true);
    }
  });

  it('refuses requirepass mode on a cluster with a stable code, changing nothing', async () => {
    const secret = await h.createSecret('redis/cluster-requirepass', {
      host: '127.0.0.1',
      port: cluster.masters[0]?.port,
      password: ADMIN,
      mode: 'requirepass',
    });
    const { arn } = h.register('cluster-requirepass');
    const record = await h.rotate(secret, arn);
    expect(record.outcome).toBe('failed');
    expect(record.steps.find((s) => !s.ok)?.error?.code).toBe('ERR_UNSUPPORTED_MODE');
    for (const node of cluster.nodes) expect(await canLogin(node, undefined, ADMIN)).toBe(true);
  });
});
