/**
 * The Redis half of the test bed: `startRedis()` gives a real Redis 7 on a random loopback
 * port (a primary, a replica, with an ACL file, from a config file, or serving TLS). It runs
 * in a container when a container runtime answers (testcontainers), otherwise from the
 * machine's `redis-server`.
 */
import { chooseBackend } from './container-runtime.ts';
import type { Backend } from './container-runtime.ts';

export interface StartRedisOptions {
  /** Start as a replica of this primary; start() resolves once the replication link is up. */
  readonly replicaOf?: { readonly host: string; readonly port: number };
  /** `masterauth`: the password the replica uses to authenticate to its primary. */
  readonly masterAuth?: string;
  /**
   * Use an ACL file (`aclfile`, pre-created) so `ACL SAVE` persists users across restart().
   * With `requirepass`, the default user's password is written into that file instead.
   */
  readonly aclFile?: boolean;
  /** Start from a config file so `CONFIG REWRITE` persists settings across restart(). */
  readonly configFile?: boolean;
  /**
   * TLS only (`port 0`, `tls-port`), throwaway CA, `tls-auth-clients no`. A TLS replica also
   * replicates over TLS (`tls-replication yes`), so its primary must be a TLS server too.
   */
  readonly tls?: boolean;
  /**
   * Clients must present a certificate signed by the test bed CA (`tls-auth-clients yes`,
   * Redis's own default). Only with `tls`. The server's certificate (usable for clientAuth)
   * is what `tls.clientCertPath`/`tls.clientKeyPath` hand to a client.
   */
  readonly tlsAuthClients?: boolean;
  /**
   * A cluster node (`cluster-enabled yes`, its own nodes.conf and bus port), not yet joined to
   * any cluster: `startRedisCluster()` (redis-cluster.ts) builds the cluster. Local backend only.
   */
  readonly cluster?: boolean;
  /** The default user's password (`requirepass`). */
  readonly requirepass?: string;
  /** Force a backend; default: `TEST_BED_BACKEND`, else a container when a runtime answers, else local binaries. */
  readonly backend?: Backend;
}

export interface RedisServer {
  readonly host: '127.0.0.1';
  readonly port: number;
  /** CA (path and PEM) that signed the server certificate for `localhost` and 127.0.0.1. */
  readonly tls?: {
    readonly caPath: string;
    readonly caPem: string;
    readonly serverName: string;
    /** A certificate and key signed by the same CA, valid for client authentication (mutual TLS). */
    readonly clientCertPath: string;
    readonly clientKeyPath: string;
  };
  /** The cluster bus port of a `cluster` node. */
  readonly clusterBusPort?: number;
  readonly aclFilePath?: string;
  readonly configFilePath?: string;
  /** The server's log file. */
  readonly logPath: string;
  readonly backend: Backend;
  /** Stop the server (connections then fail); its files and port are kept for start(). */
  stop(): Promise<void>;
  /** Start it again on the same port from the same files. No-op when running. */
  start(): Promise<void>;
  /** stop() then start(): what was saved (ACL SAVE, CONFIG REWRITE) survives, the rest does not. */
  restart(): Promise<void>;
  /** Stop for good and remove its temp folder (also done at process exit). */
  destroy(): Promise<void>;
}

/** Start a fresh Redis server. Stop it (destroy()) in afterAll. */
export async function startRedis(options: StartRedisOptions = {}): Promise<RedisServer> {
  const backend = await chooseBackend(options.backend);
  if (backend === 'container' && options.cluster !== true) {
    const { startContainerRedis } = await import('./container-redis.ts');
    return await startContainerRedis(options);
  }
  const { startLocalRedis } = await import('./local-redis.ts');
  return await startLocalRedis(options);
}
