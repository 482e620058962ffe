import { readAllowList, type AllowList } from '../../shared/allow-list.ts';
import type { EnvReader } from '../../shared/config.ts';
import { REDIS_MODES, RedisMode } from './redis-mode.ts';

/** The Redis function's settings, read once through the shared EnvReader. */
export interface RedisConfig {
  /** REDIS_MODE: the mode when the secret does not name one. Default `acl`. */
  readonly defaultMode: RedisMode;
  /** REDIS_CONNECT_TIMEOUT_MS: TCP/TLS connect plus AUTH. Default 5000. */
  readonly connectTimeoutMs: number;
  /** REDIS_COMMAND_TIMEOUT_MS: per command. Default 5000. */
  readonly commandTimeoutMs: number;
  /**
   * REDIS_DISCOVER_REPLICAS: find the replicas attached to the primary (ROLE plus INFO
   * replication) when the secret lists no `nodes`. Default true.
   */
  readonly discoverReplicas: boolean;
  /** REDIS_TLS_CA_FILE: PEM bundle to trust for rediss:// and `tls: true`. Default: Node's CA store. */
  readonly tlsCaFile: string | undefined;
  /**
   * REDIS_TLS_CERT_FILE and REDIS_TLS_KEY_FILE: a client certificate and its key (PEM) for mutual
   * TLS (`tls-auth-clients yes`, Redis's default once TLS is on). Both or neither. Default: none.
   */
  readonly tlsCertFile: string | undefined;
  readonly tlsKeyFile: string | undefined;
  /** REDIS_TLS_SERVERNAME: TLS server name (SNI and certificate check) when it differs from the host. Default: the host. */
  readonly tlsServerName: string | undefined;
  /** REDIS_TEST_COMMAND: the harmless command testSecret runs after PING (`PING` for none). Default `DBSIZE`. */
  readonly testCommand: string;
  /**
   * REDIS_ADMIN_SECRET_ARN: admin credential for ACL/CONFIG changes when the secret has no
   * `adminSecretArn`. Default: unset (the user manages itself).
   */
  readonly adminSecretArn: string | undefined;
  /**
   * ELASTICACHE_REPLICATION_GROUP_IDS / ELASTICACHE_USER_IDS: the replication groups and users
   * this function was deployed (and granted IAM) for; a secret naming another is refused
   * (ERR_TARGET_NOT_ALLOWED) before any ElastiCache call. Ids or ARNs (the id is the ARN's last
   * part), comma-separated, or `*` for any (IAM is then the only limit); empty allows none.
   * SAM (ARNs) and CDK (ids) set them from the same list as the IAM grant.
   * Default: unset, and the ElastiCache mode that needs one refuses to run (ERR_CONFIG_INVALID
   * naming the variable); the other modes do not read them.
   */
  readonly elastiCacheReplicationGroupIds: AllowList | undefined;
  readonly elastiCacheUserIds: AllowList | undefined;
  /** ELASTICACHE_ENDPOINT: ElastiCache API endpoint override. Default: the SDK's. */
  readonly elastiCacheEndpoint: string | undefined;
  /** MAX_WAITING_TIME_FOR_ACTIVE_IN_SECONDS (AWS's name), or ELASTICACHE_WAIT_TIMEOUT_MS. Default 600 s. */
  readonly elastiCacheWaitTimeoutMs: number;
  /** WAITING_RETRY_INTERVAL_IN_SECONDS (AWS's name), or ELASTICACHE_POLL_INTERVAL_MS. Default 10 s. */
  readonly elastiCachePollIntervalMs: number;
}

export function readRedisConfig(reader: EnvReader): RedisConfig {
  const waitSeconds = reader.int('MAX_WAITING_TIME_FOR_ACTIVE_IN_SECONDS', 600, { min: 1, max: 900 });
  const pollSeconds = reader.int('WAITING_RETRY_INTERVAL_IN_SECONDS', 10, { min: 1, max: 300 });
  const testCommand = reader.string('REDIS_TEST_COMMAND', 'DBSIZE');
  if (!/^[A-Za-z][A-Za-z|-]*$/.test(testCommand))
    reader.problem('REDIS_TEST_COMMAND must be a single command name without arguments');
  const tlsCertFile = reader.string('REDIS_TLS_CERT_FILE');
  const tlsKeyFile = reader.string('REDIS_TLS_KEY_FILE');
  if ((tlsCertFile === undefined) !== (tlsKeyFile === undefined))
    reader.problem('REDIS_TLS_CERT_FILE and REDIS_TLS_KEY_FILE must be set together (mutual TLS)');
  const endpoint = reader.string('ELASTICACHE_ENDPOINT');
  if (endpoint !== undefined && !/^https?:\/\//.test(endpoint))
    reader.problem('ELASTICACHE_ENDPOINT must be an http(s) URL');
  return {
    defaultMode: reader.oneOf('REDIS_MODE', REDIS_MODES, RedisMode.acl),
    connectTimeoutMs: reader.int('REDIS_CONNECT_TIMEOUT_MS', 5000, { min: 100, max: 60_000 }),
    commandTimeoutMs: reader.int('REDIS_COMMAND_TIMEOUT_MS', 5000, { min: 100, max: 60_000 }),
    discoverReplicas: reader.bool('REDIS_DISCOVER_REPLICAS', true),
    tlsCaFile: reader.string('REDIS_TLS_CA_FILE'),
    tlsServerName: reader.string('REDIS_TLS_SERVERNAME'),
    tlsCertFile,
    tlsKeyFile,
    testCommand: testCommand.toUpperCase(),
    adminSecretArn: reader.string('REDIS_ADMIN_SECRET_ARN'),
    elastiCacheReplicationGroupIds: readAllowList(
      reader,
      'ELASTICACHE_REPLICATION_GROUP_IDS',
      elastiCacheId,
      'replication group ids or ARNs',
    ),
    elastiCacheUserIds: readAllowList(reader, 'ELASTICACHE_USER_IDS', elastiCacheId, 'user ids or ARNs'),
    elastiCacheEndpoint: endpoint,
    elastiCacheWaitTimeoutMs: reader.int('ELASTICACHE_WAIT_TIMEOUT_MS', waitSeconds * 1000, {
      min: 10,
      max: 900_000,
    }),
    elastiCachePollIntervalMs: reader.int('ELASTICACHE_POLL_INTERVAL_MS', pollSeconds * 1000, {
      min: 1,
      max: 300_000,
    }),
  };
}

/** An ElastiCache id, or the id an ARN ends in (`arn:aws:elasticache:<region>:<account>:user:<id>`). */
function elastiCacheId(entry: string): string | undefined {
  const id = entry.split(':').at(-1) ?? '';
  return /^[A-Za-z0-9-]{1,255}$/.test(id) ? id : undefined;
}
