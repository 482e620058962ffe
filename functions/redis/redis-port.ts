import type { Sensitive } from '../../shared/sensitive.ts';

/**
 * The Redis port: how the strategy talks to a Redis node. The default adapter is
 * ioredis (ioredis-connector.ts); tests and the chaos harness wrap or replace it.
 * Adapters raise RotationError with target codes (ERR_TARGET_UNREACHABLE,
 * ERR_TARGET_TIMEOUT, ERR_TARGET_TLS, ERR_TARGET_AUTH_FAILED,
 * ERR_TARGET_PERMISSION_DENIED, ERR_TARGET_REJECTED) naming the node, never a value.
 */

export interface RedisEndpoint {
  readonly host: string;
  readonly port: number;
  readonly tls: boolean;
}

export interface RedisCredentials {
  /** undefined: legacy `AUTH <password>` (the `default` user / requirepass). */
  readonly username: string | undefined;
  readonly password: Sensitive<string>;
}

export interface RedisSession {
  readonly endpoint: RedisEndpoint;
  /**
   * Run one command. Arguments never reach an error or a log. Redis's reply text can echo
   * arguments, so it is copied into an error only when `options.argsAreSecret` is false.
   */
  call(command: string, args?: readonly string[], options?: CallOptions): Promise<unknown>;
  close(): Promise<void>;
}

export interface CallOptions {
  /** The arguments carry a secret or a hash of one. Default true (the safe side). */
  readonly argsAreSecret?: boolean;
}

export interface OpenOptions {
  /** SELECT this database after AUTH. Default 0 (no SELECT). */
  readonly db?: number;
}

export interface RedisConnector {
  /** Connect and authenticate; rejects with a RotationError naming the node. */
  open(endpoint: RedisEndpoint, credentials: RedisCredentials, options?: OpenOptions): Promise<RedisSession>;
}

export function describeEndpoint(endpoint: RedisEndpoint): string {
  const host = endpoint.host.includes(':') ? `[${endpoint.host}]` : endpoint.host;
  return `${host}:${endpoint.port}`;
}
