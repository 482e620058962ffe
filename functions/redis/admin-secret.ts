import { Stage } from '../../shared/constants.ts';
import { ErrorCode, RotationError, isRotationError } from '../../shared/errors.ts';
import type { RotationContext } from '../../shared/strategy.ts';
import { describeEndpoint, type RedisEndpoint } from './redis-port.ts';
import type { LabelledCredentials } from './redis-nodes.ts';
import {
  describeNode,
  effectiveUsername,
  parseRedisSecret,
  type RedisSecret,
  type SentinelSettings,
} from './redis-secret.ts';

/**
 * The admin credential of ACL mode and where it may go. A credential is only ever sent to
 * the server it belongs to: the admin secret's own host and port, and the nodes that server
 * itself reports as its replicas. Whoever writes a user secret chooses its `host` and
 * `nodes`; they do not get to choose where the admin password is sent.
 */
export interface RedisAdmin {
  readonly arn: string;
  /** The admin secret's own host and port (and TLS). */
  readonly endpoint: RedisEndpoint;
  readonly credentials: LabelledCredentials;
  /**
   * The admin secret's own `sentinels`: then its server is the primary these sentinels report
   * (and the replicas they and the primary report), and only these sentinels get its
   * sentinel credential.
   */
  readonly sentinel: SentinelSettings | undefined;
}

/** The AWSCURRENT value of another secret, URL or JSON, with its own host. */
export async function loadAdmin(adminArn: string, context: RotationContext): Promise<RedisAdmin> {
  let version;
  try {
    version = await context.secrets.getSecretValue({ SecretId: adminArn, VersionStage: Stage.AWSCURRENT });
  } catch (error) {
    throw new RotationError(ErrorCode.ERR_ADMIN_SECRET_INVALID, `Admin secret ${adminArn} cannot be read`, {
      cause: error,
      details: { adminSecretArn: adminArn },
    });
  }
  if (version?.SecretString === undefined) {
    throw new RotationError(
      ErrorCode.ERR_ADMIN_SECRET_INVALID,
      `Admin secret ${adminArn} has no AWSCURRENT string value`,
      { details: { adminSecretArn: adminArn } },
    );
  }
  let admin: RedisSecret;
  try {
    admin = parseRedisSecret(version.SecretString, { versionId: version.VersionId, stage: Stage.AWSCURRENT });
  } catch (error) {
    const code = isRotationError(error) ? error.code : ErrorCode.ERR_INTERNAL;
    throw new RotationError(
      ErrorCode.ERR_ADMIN_SECRET_INVALID,
      `Admin secret ${adminArn} is not a Redis URL or JSON secret with a password (${code})`,
      { cause: error, details: { adminSecretArn: adminArn, causeCode: code } },
    );
  }
  return {
    arn: adminArn,
    endpoint: { host: admin.host, port: admin.port, tls: admin.tls },
    credentials: {
      label: 'admin',
      credentials: { username: effectiveUsername(admin), password: admin.password },
    },
    sentinel: admin.sentinel,
  };
}

/**
 * A user secret that names sentinels, rotated with an admin credential: every sentinel it lists
 * must be one the admin secret lists, under the same master name, or the admin credential
 * would go to whatever primary a sentinel of the user secret's author reports. Refused before
 * anything connects. Returns the admin's own sentinel settings (its sentinel credential).
 */
export function adminSentinelsFor(admin: RedisAdmin, secret: RedisSecret): SentinelSettings {
  const wanted = secret.sentinel;
  const own = admin.sentinel;
  if (wanted === undefined) throw new Error('adminSentinelsFor: the secret names no sentinels');
  const refuse = (problem: string, node?: string): never => {
    throw new RotationError(
      ErrorCode.ERR_TARGET_NOT_ALLOWED,
      `Redis secret ${problem}; the admin credential only goes to the primary and replicas the ` +
        `admin secret's own sentinels report (list the same "sentinels" and "sentinelMaster" in ` +
        `the admin secret)`,
      { details: { ...(node ? { node } : {}), adminSecretArn: admin.arn, field: 'sentinels' } },
    );
  };
  if (own === undefined) return refuse('names sentinels and the admin secret names none');
  if (own.masterName !== wanted.masterName)
    return refuse(`names sentinel master "${wanted.masterName}", the admin secret another`);
  for (const sentinel of wanted.sentinels) {
    if (!own.sentinels.some((known) => sameEndpoint(known, sentinel)))
      refuse(
        `lists sentinel ${describeNode(sentinel)}, which the admin secret does not`,
        describeNode(sentinel),
      );
  }
  return own;
}

export function sameEndpoint(
  a: Pick<RedisEndpoint, 'host' | 'port'>,
  b: Pick<RedisEndpoint, 'host' | 'port'>,
) {
  return a.host.toLowerCase() === b.host.toLowerCase() && a.port === b.port;
}

/**
 * Where the admin connects: the admin secret's endpoint, with TLS when either secret asks
 * for it (the admin connection is never weaker than what the user secret asks for the same
 * server). Refuses, before anything connects, a user secret whose host is not the admin's.
 */
export function adminEndpointFor(admin: RedisAdmin, secret: RedisSecret): RedisEndpoint {
  if (!sameEndpoint(admin.endpoint, secret)) {
    const node = describeEndpoint({ host: secret.host, port: secret.port, tls: secret.tls });
    const adminNode = describeEndpoint(admin.endpoint);
    throw new RotationError(
      ErrorCode.ERR_TARGET_NOT_ALLOWED,
      `Redis secret host ${node} is not the admin secret's server ${adminNode}; the admin ` +
        `credential is only sent to its own server and the replicas it reports (point both ` +
        `secrets at the same primary host:port)`,
      { details: { node, adminNode, adminSecretArn: admin.arn } },
    );
  }
  return { ...admin.endpoint, tls: admin.endpoint.tls || secret.tls };
}

/** Refuse a listed node that the admin's server does not report as one of its replicas. */
export function assertDiscovered(
  admin: RedisAdmin,
  listed: readonly RedisEndpoint[],
  discovered: readonly RedisEndpoint[],
): void {
  for (const node of listed) {
    if (discovered.some((known) => sameEndpoint(known, node))) continue;
    const text = describeEndpoint(node);
    throw new RotationError(
      ErrorCode.ERR_TARGET_NOT_ALLOWED,
      `Redis node ${text} listed in the secret's "nodes" is neither the admin secret's server ` +
        `${describeEndpoint(admin.endpoint)} nor a replica it reports (ROLE, INFO replication); ` +
        `the admin credential is not sent there`,
      { details: { node: text, adminNode: describeEndpoint(admin.endpoint), adminSecretArn: admin.arn } },
    );
  }
}
