/**
 * What a Redis server of the test bed is and how to ask for one, apart from `startRedis()`
 * (redis-server.ts) so that its backends (local-redis.ts, container-redis.ts) can name
 * these types without importing the façade that loads them.
 */
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
