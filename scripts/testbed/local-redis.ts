/**
 * Redis from the machine's `redis-server`, run in the foreground as a child of the test
 * process: `--bind 127.0.0.1 --save '' --appendonly no --dir <tmp>`, plus the variant's
 * settings, either as arguments or (configFile) written to a config file it starts from.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { redisServerBinary } from './binaries.ts';
import type { Backend } from './container-runtime.ts';
import { ManagedProcess, type ProcessSpec, type ServerProcess } from './managed-process.ts';
import { freePort, waitUntil, withFreshPortOnConflict } from './ports.ts';
import type { RedisServer, StartRedisOptions } from './redis-server-types.ts';
import { RespError, sendCommands, type RespTarget } from './resp.ts';
import { createTlsMaterial } from './tls.ts';
import { makeWorkDir } from './work-dir.ts';

const READY_TIMEOUT_MS = 10_000;
const REPLICATION_TIMEOUT_MS = 10_000;

type Setting = readonly [name: string, ...values: string[]];

function configLine([name, ...values]: Setting): string {
  return [
    name,
    ...values.map((value) => (value === '' || /[\s"'\\]/.test(value) ? JSON.stringify(value) : value)),
  ].join(' ');
}

/**
 * Is the replication link of the server at `target` up? A server whose password a test has
 * since changed (and persisted) cannot be asked: it counts as up once it answers at all.
 */
async function replicationLinkUp(target: RespTarget): Promise<boolean> {
  const [info] = await sendCommands(target, [['INFO', 'replication']]);
  if (info instanceof RespError) {
    if (/^(NOAUTH|WRONGPASS)/.test(info.message)) return true;
    throw info;
  }
  return info?.includes('master_link_status:up') === true;
}

/** How the server process is run: here, as a child process; see container-redis.ts for the other. */
export interface RedisRunner {
  readonly backend: Backend;
  /** Prepare the work folder (e.g. permissions for a container user) before the server starts. */
  prepare?(dir: string): void;
  create(spec: ProcessSpec): ServerProcess;
}

const localRunner: RedisRunner = {
  backend: 'local',
  create: (spec) => new ManagedProcess(spec),
};

/**
 * Does the primary at `primary` list a replica announcing `replicaPort` as online? A primary
 * whose password we do not hold cannot be asked: then the replica's own view has to do.
 */
async function primaryListsOnline(primary: RespTarget, replicaPort: number): Promise<boolean> {
  const [info] = await sendCommands(primary, [['INFO', 'replication']]);
  if (info instanceof RespError) {
    if (/^(NOAUTH|WRONGPASS)/.test(info.message)) return true;
    throw info;
  }
  return new RegExp(`^slave\\d+:.*\\bport=${replicaPort},state=online\\b`, 'm').test(info ?? '');
}

/** The readiness probe presents the server's own certificate, so it also passes `tls-auth-clients yes`. */
function probeTls(tls: { caPem: string; certPath: string; keyPath: string }): NonNullable<RespTarget['tls']> {
  return { caPem: tls.caPem, certPath: tls.certPath, keyPath: tls.keyPath };
}

export async function startLocalRedis(
  options: StartRedisOptions,
  runner: RedisRunner = localRunner,
): Promise<RedisServer> {
  const binary = runner.backend === 'local' ? redisServerBinary() : 'redis-server';
  const work = makeWorkDir('redis');
  const dir = work.path;
  try {
    const tls =
      options.tls === true
        ? (mkdirSync(path.join(dir, 'tls')), await createTlsMaterial(path.join(dir, 'tls'), { ca: 'shared' }))
        : undefined;
    const aclFilePath = options.aclFile === true ? path.join(dir, 'users.acl') : undefined;
    const configFilePath = options.configFile === true ? path.join(dir, 'redis.conf') : undefined;
    const logPath = path.join(dir, 'redis.log');
    writeFileSync(logPath, '');
    if (aclFilePath !== undefined) {
      const defaultUser =
        options.requirepass === undefined
          ? ''
          : `user default on #${createHash('sha256').update(options.requirepass).digest('hex')} ~* &* +@all\n`;
      writeFileSync(aclFilePath, defaultUser, { mode: 0o600 });
    }

    /** The server's arguments for `port` (writing the config file for the configFile variant). */
    const argsFor = (port: number, busPort: number | undefined): string[] => {
      const settings: Setting[] = [
        ['bind', '127.0.0.1'],
        ...(tls === undefined
          ? [['port', String(port)] as const]
          : [
              ['port', '0'] as const,
              ['tls-port', String(port)] as const,
              ['tls-cert-file', tls.certPath] as const,
              ['tls-key-file', tls.keyPath] as const,
              ['tls-ca-cert-file', tls.caPath] as const,
              ['tls-auth-clients', options.tlsAuthClients === true ? 'yes' : 'no'] as const,
            ]),
        ['save', ''],
        ['appendonly', 'no'],
        // A primary otherwise waits 5 s for more replicas before a diskless full sync.
        ['repl-diskless-sync-delay', '0'],
        ['dir', dir],
        ['daemonize', 'no'],
        ['logfile', ''],
      ];
      if (busPort !== undefined) {
        settings.push(
          ['cluster-enabled', 'yes'],
          ['cluster-config-file', path.join(dir, 'nodes.conf')],
          ['cluster-port', String(busPort)],
          ['cluster-node-timeout', '5000'],
        );
      }
      if (aclFilePath !== undefined) settings.push(['aclfile', aclFilePath]);
      else if (options.requirepass !== undefined) settings.push(['requirepass', options.requirepass]);
      if (options.replicaOf !== undefined) {
        settings.push(['replicaof', options.replicaOf.host, String(options.replicaOf.port)]);
        if (tls !== undefined) settings.push(['tls-replication', 'yes']);
      }
      if (options.masterAuth !== undefined) settings.push(['masterauth', options.masterAuth]);
      if (configFilePath === undefined)
        return settings.flatMap(([name, ...values]) => [`--${name}`, ...values]);
      writeFileSync(
        configFilePath,
        `# Written by scripts/testbed/local-redis.ts\n${settings.map(configLine).join('\n')}\n`,
        { mode: 0o600 },
      );
      return [configFilePath];
    };

    const startOn = async (server: ServerProcess, port: number): Promise<void> => {
      if (server.running) return;
      const probeTarget: RespTarget = {
        host: '127.0.0.1',
        port,
        ...(tls === undefined ? {} : { tls: probeTls(tls) }),
      };
      await server.spawn();
      let exitCode: number | null | undefined;
      void server.whenExited().then((code) => (exitCode = code));
      try {
        await waitUntil(
          async () => {
            if (exitCode !== undefined) {
              const tail = (await readFile(logPath, 'utf8')).split('\n').slice(-6).join('\n');
              throw new Error(
                `redis-server exited (code ${String(exitCode)}) before answering on 127.0.0.1:${port}; log tail:\n${tail}`,
              );
            }
            // Any reply, even NOAUTH, proves the server is up.
            await sendCommands(probeTarget, [['PING']], 500);
            return true;
          },
          {
            what: `redis on 127.0.0.1:${port} to answer PING (log: ${logPath})`,
            timeoutMs: READY_TIMEOUT_MS,
            intervalMs: 10,
          },
        );
        if (options.replicaOf !== undefined) {
          const primary = options.replicaOf;
          const withAuth: RespTarget =
            options.requirepass === undefined
              ? probeTarget
              : { ...probeTarget, password: options.requirepass };
          await waitUntil(async () => await replicationLinkUp(withAuth), {
            what: `replica on 127.0.0.1:${port} to link to its primary ${primary.host}:${primary.port} (log: ${logPath})`,
            timeoutMs: REPLICATION_TIMEOUT_MS,
            intervalMs: 20,
          });
          // The replica's side is up before the primary lists it as online (it waits for the
          // replica's first ACK after the transfer); code that discovers replicas through the
          // primary's INFO must see it from the start.
          const primaryTarget: RespTarget = {
            host: primary.host,
            port: primary.port,
            ...(tls === undefined ? {} : { tls: probeTls(tls) }),
            ...(options.masterAuth === undefined ? {} : { password: options.masterAuth }),
          };
          await waitUntil(async () => await primaryListsOnline(primaryTarget, port), {
            what: `primary ${primary.host}:${primary.port} to list its replica on port ${port} as online (log: ${logPath})`,
            timeoutMs: REPLICATION_TIMEOUT_MS,
            intervalMs: 20,
          });
        }
      } catch (error) {
        await server.stop();
        throw error;
      }
    };

    runner.prepare?.(dir);
    // The free port can be taken between asking for it and the server binding it: try another.
    let clusterBusPort: number | undefined;
    const { server, port } = await withFreshPortOnConflict(logPath, async (candidate) => {
      clusterBusPort = options.cluster === true ? await freePort() : undefined;
      const created = runner.create({
        command: binary,
        args: argsFor(candidate, clusterBusPort),
        logPath,
        cwd: dir,
        stopSignal: 'SIGTERM',
        deathSignal: 'SIGKILL',
      });
      await startOn(created, candidate);
      return created;
    });
    const start = async (): Promise<void> => await startOn(server, port);

    return {
      host: '127.0.0.1',
      port,
      ...(tls === undefined
        ? {}
        : {
            tls: {
              caPath: tls.caPath,
              caPem: tls.caPem,
              serverName: tls.serverName,
              clientCertPath: tls.certPath,
              clientKeyPath: tls.keyPath,
            },
          }),
      ...(clusterBusPort === undefined ? {} : { clusterBusPort }),
      ...(aclFilePath === undefined ? {} : { aclFilePath }),
      ...(configFilePath === undefined ? {} : { configFilePath }),
      logPath,
      backend: runner.backend,
      stop: async () => await server.stop(),
      start,
      restart: async () => {
        await server.stop();
        await start();
      },
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
