/**
 * A real Redis Cluster for the test bed: `masters` shards (slots split evenly), each with
 * `replicasPerMaster` replicas, every node a `redis-server` with `cluster-enabled yes` on its
 * own loopback port and bus port. The default user's password (`password`, as requirepass or in
 * the ACL file) doubles as every replica's masterauth.
 *
 *   const cluster = await startRedisCluster({ masters: 3, replicasPerMaster: 1, password: ADMIN, aclFile: true });
 *   afterAll(() => cluster.destroy());
 *
 * Nodes keep the RedisServer lifecycle: stop()/start() one to prove a node down and back
 * (`waitHealthy()` then waits for the cluster to see it again). Local backend only.
 */
import { startRedis, type RedisServer } from './redis-server.ts';
import { RespError, sendCommands, type RespTarget } from './resp.ts';
import { waitUntil } from './ports.ts';

const CLUSTER_SLOTS = 16384;
const FORM_TIMEOUT_MS = 30_000;

export interface StartRedisClusterOptions {
  /** Shards. Default 3 (the smallest cluster Redis recommends). */
  readonly masters?: number;
  /** Replicas of each master. Default 1. */
  readonly replicasPerMaster?: number;
  /** The default user's password on every node, and every replica's masterauth. */
  readonly password: string;
  /** Keep users in an ACL file (ACL SAVE persists them across a restart of a node). */
  readonly aclFile?: boolean;
  /** Start from a config file (CONFIG REWRITE persists masterauth across a restart). */
  readonly configFile?: boolean;
}

export interface RedisCluster {
  /** Masters in slot order, as formed (a failover may change which node is master later). */
  readonly masters: readonly RedisServer[];
  /** replicas[i] replicate masters[i % masters.length], as formed. */
  readonly replicas: readonly RedisServer[];
  readonly nodes: readonly RedisServer[];
  /**
   * Wait until every running node says `cluster_state:ok`, knows every node, and each master
   * lists its replicas online. `password`: the default user's password now (after a rotation).
   */
  waitHealthy(password: string): Promise<void>;
  destroy(): Promise<void>;
}

function target(server: RedisServer, password: string): RespTarget {
  return { host: server.host, port: server.port, password };
}

async function command(server: RedisServer, password: string, args: readonly string[]): Promise<string> {
  const [reply] = await sendCommands(target(server, password), [args], 5_000);
  if (reply instanceof RespError)
    throw new Error(`${args.slice(0, 2).join(' ')} on ${server.port}: ${reply.message}`);
  return reply ?? '';
}

export async function startRedisCluster(options: StartRedisClusterOptions): Promise<RedisCluster> {
  const masterCount = options.masters ?? 3;
  const perMaster = options.replicasPerMaster ?? 1;
  const { password } = options;
  const started: RedisServer[] = [];
  const destroy = async (): Promise<void> => {
    await Promise.allSettled(started.map((server) => server.destroy()));
  };
  try {
    const total = masterCount * (1 + perMaster);
    for (let i = 0; i < total; i += 1) {
      started.push(
        await startRedis({
          backend: 'local',
          cluster: true,
          requirepass: password,
          masterAuth: password,
          ...(options.aclFile === true ? { aclFile: true } : {}),
          ...(options.configFile === true ? { configFile: true } : {}),
        }),
      );
    }
    const masters = started.slice(0, masterCount);
    const replicas = started.slice(masterCount);
    const [seed] = started;
    if (seed === undefined) throw new Error('a cluster needs at least one node');
    for (const node of started.slice(1)) {
      await command(node, password, [
        'CLUSTER',
        'MEET',
        seed.host,
        String(seed.port),
        String(seed.clusterBusPort),
      ]);
    }
    const share = Math.ceil(CLUSTER_SLOTS / masterCount);
    for (const [index, master] of masters.entries()) {
      const first = index * share;
      const last = Math.min(CLUSTER_SLOTS, first + share) - 1;
      await command(master, password, ['CLUSTER', 'ADDSLOTSRANGE', String(first), String(last)]);
    }
    await waitUntil(async () => await allKnowEachOther(started, password), {
      what: `the ${total} cluster nodes to know each other`,
      timeoutMs: FORM_TIMEOUT_MS,
      intervalMs: 50,
    });
    for (const [index, replica] of replicas.entries()) {
      const master = masters[index % masterCount] as RedisServer;
      const id = await command(master, password, ['CLUSTER', 'MYID']);
      await command(replica, password, ['CLUSTER', 'REPLICATE', id]);
    }
    const cluster: RedisCluster = {
      masters,
      replicas,
      nodes: started,
      async waitHealthy(current) {
        await waitUntil(async () => await healthy(started, current), {
          what: 'the cluster to be healthy (cluster_state:ok, every node known, every replica online)',
          timeoutMs: FORM_TIMEOUT_MS,
          intervalMs: 50,
        });
      },
      destroy,
    };
    await cluster.waitHealthy(password);
    return cluster;
  } catch (error) {
    await destroy();
    throw error;
  }
}

async function allKnowEachOther(nodes: readonly RedisServer[], password: string): Promise<boolean> {
  for (const node of nodes) {
    const table = await command(node, password, ['CLUSTER', 'NODES']);
    const lines = table.split('\n').filter((line) => line.trim() !== '');
    if (lines.length !== nodes.length || lines.some((line) => /handshake|noaddr/.test(line))) return false;
  }
  return true;
}

async function healthy(nodes: readonly RedisServer[], password: string): Promise<boolean> {
  let replicasOnline = 0;
  let replicasExpected = 0;
  for (const node of nodes) {
    let info: string;
    let replication: string;
    try {
      info = await command(node, password, ['CLUSTER', 'INFO']);
      replication = await command(node, password, ['INFO', 'replication']);
    } catch {
      return false; // stopped, or not answering yet
    }
    if (!/cluster_state:ok/.test(info) || !new RegExp(`cluster_known_nodes:${nodes.length}\\b`).test(info))
      return false;
    if (/role:slave/.test(replication)) {
      replicasExpected += 1;
      if (!/master_link_status:up/.test(replication)) return false;
    } else {
      replicasOnline += [...replication.matchAll(/^slave\d+:.*state=online/gm)].length;
    }
  }
  return replicasOnline === replicasExpected;
}
