import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { Redis, type RedisOptions } from 'ioredis';
import { ErrorCode, RotationError } from '../../shared/errors.ts';
import {
  describeEndpoint,
  type CallOptions,
  type OpenOptions,
  type RedisConnector,
  type RedisCredentials,
  type RedisEndpoint,
  type RedisSession,
} from './redis-port.ts';

export interface IoredisConnectorOptions {
  readonly connectTimeoutMs: number;
  readonly commandTimeoutMs: number;
  /** PEM bundle path; read once, here. */
  readonly tlsCaFile?: string | undefined;
  /** Or the PEM text itself (tests). */
  readonly tlsCaPem?: string | undefined;
  readonly tlsServerName?: string | undefined;
  /** Client certificate and key paths (mutual TLS); read once, here. */
  readonly tlsCertFile?: string | undefined;
  readonly tlsKeyFile?: string | undefined;
}

/**
 * The ioredis adapter of the Redis port. One short-lived connection per node and step:
 * no reconnects (`retryStrategy: () => null`), no retries (`maxRetriesPerRequest: 0`),
 * no offline queue, bounded connect and command timeouts, so a wrong password fails
 * in milliseconds instead of looping. Errors never carry Redis's text when the command
 * held a secret, and never carry arguments.
 */
export function createIoredisConnector(options: IoredisConnectorOptions): RedisConnector {
  let ca: string | undefined = options.tlsCaPem;
  if (ca === undefined && options.tlsCaFile !== undefined) {
    try {
      ca = readFileSync(options.tlsCaFile, 'utf8');
    } catch (error) {
      throw new RotationError(ErrorCode.ERR_CONFIG_INVALID, 'REDIS_TLS_CA_FILE cannot be read', {
        cause: error,
        details: { variable: 'REDIS_TLS_CA_FILE' },
      });
    }
  }
  const clientCert = readClientCertificate(options);
  return {
    async open(
      endpoint: RedisEndpoint,
      credentials: RedisCredentials,
      open: OpenOptions = {},
    ): Promise<RedisSession> {
      const redisOptions: RedisOptions = {
        host: endpoint.host,
        port: endpoint.port,
        ...(credentials.username !== undefined ? { username: credentials.username } : {}),
        password: credentials.password.reveal(),
        db: open.db ?? 0,
        lazyConnect: true,
        connectTimeout: options.connectTimeoutMs,
        commandTimeout: options.commandTimeoutMs,
        retryStrategy: () => null,
        reconnectOnError: () => false,
        maxRetriesPerRequest: 0,
        enableOfflineQueue: false,
        enableReadyCheck: false,
        autoResubscribe: false,
        disableClientInfo: true,
        ...(endpoint.tls
          ? {
              tls: {
                ...(ca !== undefined ? { ca } : {}),
                ...(clientCert ?? {}),
                ...serverName(options.tlsServerName, endpoint.host),
                rejectUnauthorized: true,
              },
            }
          : {}),
      };
      const client = new Redis(redisOptions);
      let lastError: unknown;
      client.on('error', (error: unknown) => {
        lastError = error;
      });
      const where = describeEndpoint(endpoint);
      let timer: NodeJS.Timeout | undefined;
      try {
        const deadline = options.connectTimeoutMs + options.commandTimeoutMs;
        await Promise.race([
          client.connect(),
          new Promise((_, reject) => {
            timer = setTimeout(
              () => reject(Object.assign(new Error('connect deadline'), { code: 'ETIMEDOUT' })),
              deadline,
            );
          }),
        ]);
      } catch (error) {
        client.disconnect();
        throw mapRedisError(pickError(error, lastError), where, 'connect and AUTH', true);
      } finally {
        if (timer) clearTimeout(timer);
      }
      return {
        endpoint,
        async call(
          command: string,
          args: readonly string[] = [],
          callOptions: CallOptions = {},
        ): Promise<unknown> {
          try {
            return await client.call(command, ...args);
          } catch (error) {
            const label =
              args.length > 0 && /^[A-Za-z]+$/.test(args[0] ?? '') ? `${command} ${args[0]}` : command;
            throw mapRedisError(error, where, label.toUpperCase(), callOptions.argsAreSecret ?? true);
          }
        },
        async close(): Promise<void> {
          client.disconnect();
        },
      };
    },
  };
}

/** The mutual-TLS certificate and key, or undefined; an unreadable file is a configuration error. */
function readClientCertificate(options: IoredisConnectorOptions): { cert: string; key: string } | undefined {
  if (options.tlsCertFile === undefined || options.tlsKeyFile === undefined) return undefined;
  const read = (file: string, variable: string): string => {
    try {
      return readFileSync(file, 'utf8');
    } catch (error) {
      throw new RotationError(ErrorCode.ERR_CONFIG_INVALID, `${variable} cannot be read`, {
        cause: error,
        details: { variable },
      });
    }
  };
  return {
    cert: read(options.tlsCertFile, 'REDIS_TLS_CERT_FILE'),
    key: read(options.tlsKeyFile, 'REDIS_TLS_KEY_FILE'),
  };
}

/** SNI must be a DNS name: for an IP host without REDIS_TLS_SERVERNAME, the certificate is checked against the IP. */
function serverName(configured: string | undefined, host: string): { servername?: string } {
  if (configured !== undefined) return { servername: configured };
  return isIP(host) === 0 ? { servername: host } : {};
}

function pickError(thrown: unknown, emitted: unknown): unknown {
  // ioredis rejects connect() with a generic "Connection is closed" after emitting the real cause.
  if (
    thrown instanceof Error &&
    /Connection is closed|Stream isn't writeable/i.test(thrown.message) &&
    emitted !== undefined
  )
    return emitted;
  return thrown ?? emitted;
}

const UNREACHABLE_CODES = new Set([
  'ECONNREFUSED',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ECONNRESET',
  'EPIPE',
  'ECONNABORTED',
]);

/**
 * Turn a driver error into a RotationError naming the node and the command. Redis's
 * reply text is included only when the command held no secret (it can echo arguments).
 */
export function mapRedisError(
  error: unknown,
  where: string,
  what: string,
  argsAreSecret: boolean,
): RotationError {
  const message = error instanceof Error ? error.message : String(error);
  const code =
    typeof (error as { code?: unknown })?.code === 'string' ? (error as { code: string }).code : undefined;
  const word = /^([A-Z][A-Z_-]+)\b/.exec(message)?.[1];
  const details = {
    node: where,
    command: what,
    ...(word ? { redisError: word } : {}),
    ...(code ? { errno: code } : {}),
  };
  const reply = argsAreSecret || !word ? '' : `: ${message.slice(0, 160)}`;
  if (word === 'WRONGPASS' || word === 'NOAUTH' || /invalid (username-)?password/i.test(message)) {
    return new RotationError(
      ErrorCode.ERR_TARGET_AUTH_FAILED,
      `Redis node ${where}: authentication failed (${word ?? 'AUTH'}) during ${what}`,
      { details },
    );
  }
  if (word === 'NOPERM') {
    return new RotationError(
      ErrorCode.ERR_TARGET_PERMISSION_DENIED,
      `Redis node ${where}: the user has no permission to run ${what} (NOPERM)`,
      { details },
    );
  }
  if (code === 'ETIMEDOUT' || /timed? ?out/i.test(message)) {
    return new RotationError(ErrorCode.ERR_TARGET_TIMEOUT, `Redis node ${where}: ${what} timed out`, {
      details,
    });
  }
  if (
    (code !== undefined && (/CERT|SSL|TLS/.test(code) || code === 'EPROTO')) ||
    /certificate|SSL routines|TLS/i.test(message)
  ) {
    return new RotationError(
      ErrorCode.ERR_TARGET_TLS,
      `Redis node ${where}: TLS handshake failed during ${what}${code ? ` (${code})` : ''}`,
      { details },
    );
  }
  if (
    (code !== undefined && UNREACHABLE_CODES.has(code)) ||
    /Connection is closed|Stream isn't writeable|connect E/i.test(message)
  ) {
    return new RotationError(
      ErrorCode.ERR_TARGET_UNREACHABLE,
      `Redis node ${where} cannot be reached during ${what}${code ? ` (${code})` : ''}`,
      { details },
    );
  }
  return new RotationError(
    ErrorCode.ERR_TARGET_REJECTED,
    `Redis node ${where} rejected ${what}${word && argsAreSecret ? ` (${word})` : ''}${reply}`,
    { details },
  );
}
