/**
 * Real Redis Sentinels for the test bed: `count` sentinel processes (`redis-server <conf>
 * --sentinel`, Debian ships no separate `redis-sentinel` binary by default) on random loopback
 * ports, each with its own writable config file (Sentinel rewrites it on every change:
 * `SENTINEL SET`, a failover, the other sentinels and replicas it learns), monitoring one
 * primary under `masterName`.
 *
 *   const primary = await startRedis({ aclFile: true, requirepass: ADMIN, masterAuth: ADMIN });
 *   const sentinels = await startRedisSentinels({ primary, authPass: ADMIN, replicas: 2 });
 *   afterAll(() => sentinels.destroy());
 *
 * Local binaries only, like the cluster helper: the sentinel tests start their data nodes
 * with `backend: 'local'` too, and no container-path CI job runs them (the private engine of
 * .ci/run is not started on a developer machine, so that path could not be proved here).
 */
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { redisServerBinary } from './binaries.ts';
import { ManagedProcess } from './managed-process.ts';
import { waitUntil, withFreshPortOnConflict } from './ports.ts';
import { RespError, sendCommands, type RespTarget } from './resp.ts';
import { makeWorkDir } from './work-dir.ts';

const READY_TIMEOUT_MS = 10_000;
const AGREE_TIMEOUT_MS = 30_000;

export interface StartRedisSentinelsOptions {
  /** The primary to monitor. */
  readonly primary: { readonly host: string; readonly port: number };
  /** `sentinel monitor <masterName> ...`. Default `mymaster` (Redis's own example). */
  readonly masterName?: string;
  /** Sentinel processes. Default 3 (the smallest deployment Redis recommends). */
  readonly count?: number;
  /** Sentinels that must agree the primary is down. Default a majority of `count`. */
  readonly quorum?: number;
  /** `sentinel auth-user`: the ACL user the sentinels log in to the data nodes as. */
  readonly authUser?: string;
  /** `sentinel auth-pass`: its password (or the requirepass). */
  readonly authPass?: string;
  /** The sentinels' own `requirepass` (clients and the other sentinels authenticate with it). */
  readonly requirepass?: string;
  /** Replicas the primary has: start() waits until every sentinel lists them. Default 0. */
  readonly replicas?: number;
  /** `down-after-milliseconds`. Default 5000. */
  readonly downAfterMs?: number;
}

export interface RedisSentinel {
  readonly host: '127.0.0.1';
  readonly port: number;
  /** The config file the sentinel rewrites (it holds `sentinel auth-pass` in plaintext). */
  readonly configPath: string;
  readonly logPath: string;
  /** Stop the process; its config file and port are kept for start(). */
  stop(): Promise<void>;
  /** Start it again from its (rewritten) config file on the same port. No-op when running. */
  start(): Promise<void>;
  destroy(): Promise<void>;
}

export interface RedisSentinels {
  readonly masterName: string;
  readonly sentinels: readonly RedisSentinel[];
  /** What a running sentinel reports: the primary's `host:port`, replicas and sentinels it knows. */
  state(sentinel: RedisSentinel): Promise<{ primary: string; replicas: number; sentinels: number }>;
  /**
   * Wait until every running sentinel reports `primaryPort` as the primary, lists `replicas`
   * replicas and knows the other running sentinels (default: the ones given at start).
   */
  waitAgreed(primaryPort: number, replicas?: number): Promise<void>;
  /** `SENTINEL FAILOVER` on the first running sentinel; resolves with the new primary's port once all agree. */
  failover(): Promise<number>;
  destroy(): Promise<void>;
}

function target(sentinel: RedisSentinel, password: string | undefined): RespTarget {
  return { host: sentinel.host, port: sentinel.port, ...(password === undefined ? {} : { password }) };
}

async function command(
  sentinel: RedisSentinel,
  password: string | undefined,
  args: readonly string[],
): Promise<string> {
  const [reply] = await sendCommands(target(sentinel, password), [args], 5_000);
  if (reply instanceof RespError)
    throw new Error(`${args.slice(0, 2).join(' ')} on ${sentinel.port}: ${reply.message}`);
  return reply ?? '';
}

async function startSentinel(
  settings: readonly string[],
  requirepass: string | undefined,
): Promise<RedisSentinel> {
  const work = makeWorkDir('sentinel');
  const dir = work.path;
  const configPath = path.join(dir, 'sentinel.conf');
  const logPath = path.join(dir, 'sentinel.log');
  try {
    const startOn = async (server: ManagedProcess, port: number): Promise<void> => {
      if (server.running) return;
      await server.spawn();
      let exitCode: number | null | undefined;
      void server.whenExited().then((code) => (exitCode = code));
      try {
        await waitUntil(
          async () => {
            if (exitCode !== undefined) {
              const tail = (await readFile(logPath, 'utf8')).split('\n').slice(-6).join('\n');
              throw new Error(`redis sentinel exited (code ${String(exitCode)}); log tail:\n${tail}`);
            }
            await sendCommands({ host: '127.0.0.1', port }, [['PING']], 500); // NOAUTH is an answer too
            return true;
          },
          {
            what: `redis sentinel on 127.0.0.1:${port} (log: ${logPath})`,
            timeoutMs: READY_TIMEOUT_MS,
            intervalMs: 20,
          },
        );
      } catch (error) {
        await server.stop();
        throw error;
      }
    };
    const { server, port } = await withFreshPortOnConflict(logPath, async (candidate) => {
      const lines = [
        `port ${candidate}`,
        'bind 127.0.0.1',
        'daemonize no',
        'logfile ""',
        `dir ${dir}`,
        ...(requirepass === undefined ? [] : [`requirepass ${JSON.stringify(requirepass)}`]),
        ...settings,
      ];
      await writeFile(configPath, `# Written by scripts/testbed/redis-sentinel.ts\n${lines.join('\n')}\n`, {
        mode: 0o600,
      });
      const created = new ManagedProcess({
        command: redisServerBinary(),
        args: [configPath, '--sentinel'],
        logPath,
        cwd: dir,
        stopSignal: 'SIGTERM',
        deathSignal: 'SIGKILL',
      });
      await startOn(created, candidate);
      return created;
    });
    return {
      host: '127.0.0.1',
      port,
      configPath,
      logPath,
      stop: async () => await server.stop(),
      start: async () => await startOn(server, port),
      destroy: async () => {
        await server.dispose();
        work.remove();
      },
    };
  } catch (error) {
    work.remove();
    throw error;
  }
}

/** Start the sentinels and wait until they agree on the primary and know each other. */
export async function startRedisSentinels(options: StartRedisSentinelsOptions): Promise<RedisSentinels> {
  const masterName = options.masterName ?? 'mymaster';
  const count = options.count ?? 3;
  const quorum = options.quorum ?? Math.floor(count / 2) + 1;
  const { requirepass } = options;
  const quote = (value: string): string => JSON.stringify(value);
  const settings = [
    `sentinel monitor ${masterName} ${options.primary.host} ${options.primary.port} ${quorum}`,
    `sentinel down-after-milliseconds ${masterName} ${options.downAfterMs ?? 5000}`,
    `sentinel failover-timeout ${masterName} 20000`,
    ...(options.authUser === undefined
      ? []
      : [`sentinel auth-user ${masterName} ${quote(options.authUser)}`]),
    ...(options.authPass === undefined
      ? []
      : [`sentinel auth-pass ${masterName} ${quote(options.authPass)}`]),
  ];
  const started: RedisSentinel[] = [];
  const destroy = async (): Promise<void> => {
    await Promise.allSettled(started.map((s) => s.destroy()));
  };
  const running = new Set<RedisSentinel>();
  const track = (sentinel: RedisSentinel): RedisSentinel => ({
    ...sentinel,
    stop: async () => {
      running.delete(sentinel);
      await sentinel.stop();
    },
    start: async () => {
      await sentinel.start();
      running.add(sentinel);
    },
  });
  try {
    for (let i = 0; i < count; i += 1) {
      const sentinel = await startSentinel(settings, requirepass);
      started.push(sentinel);
      running.add(sentinel);
    }
    const state: RedisSentinels['state'] = async (sentinel) => {
      const info = await command(sentinel, requirepass, ['INFO', 'sentinel']);
      const line = new RegExp(`^master\\d+:name=${masterName},([^\\r\\n]*)`, 'm').exec(info)?.[1] ?? '';
      const fields = new Map(line.split(',').map((pair) => pair.split('=', 2) as [string, string]));
      return {
        primary: fields.get('address') ?? '',
        replicas: Number(fields.get('slaves') ?? 0),
        sentinels: Number(fields.get('sentinels') ?? 0),
      };
    };
    const waitAgreed = async (primaryPort: number, replicas = options.replicas ?? 0): Promise<void> => {
      await waitUntil(
        async () => {
          for (const sentinel of running) {
            const seen = await state(sentinel);
            if (seen.primary !== `127.0.0.1:${primaryPort}` || seen.replicas < replicas) return false;
            if (seen.sentinels < running.size) return false;
          }
          return true;
        },
        {
          what: `${running.size} sentinels to agree on primary 127.0.0.1:${primaryPort} with ${replicas} replicas`,
          timeoutMs: AGREE_TIMEOUT_MS,
          intervalMs: 100,
        },
      );
    };
    const sentinels: RedisSentinels = {
      masterName,
      sentinels: started.map(track),
      state,
      waitAgreed,
      async failover() {
        const [first] = running;
        if (first === undefined) throw new Error('no sentinel is running');
        const before = (await state(first)).primary;
        await command(first, requirepass, ['SENTINEL', 'FAILOVER', masterName]);
        let after = before;
        await waitUntil(
          async () => {
            after = (await state(first)).primary;
            return after !== before && after !== '';
          },
          {
            what: `sentinel failover of ${masterName} away from ${before}`,
            timeoutMs: AGREE_TIMEOUT_MS,
            intervalMs: 100,
          },
        );
        const port = Number(after.split(':').at(-1));
        await waitAgreed(port);
        return port;
      },
      destroy,
    };
    await waitAgreed(options.primary.port);
    return sentinels;
  } catch (error) {
    await destroy();
    throw error;
  }
}
