import { Stage } from '../../shared/constants.ts';
import { findDuplicateKey } from '../../shared/duplicate-keys.ts';
import { ErrorCode, RotationError, isRotationError } from '../../shared/errors.ts';
import type { SecretsPort } from '../../shared/secrets-port.ts';
import { Sensitive } from '../../shared/sensitive.ts';
import { parsePostgresSecret, type PostgresSecret, type SecretTls } from './postgres-secret.ts';
import {
  RDS_CLUSTER_TAG,
  RDS_INSTANCE_TAG,
  firstDnsLabel,
  rdsIdentifierFromArn,
  type RdsPort,
} from './rds-port.ts';

/**
 * The admin ("master") login of alternating-users rotation, from the secret named by the
 * user secret's `masterarn`. Either a full PostgreSQL secret, or an RDS-managed master
 * secret that holds only `username` and `password`: then host, port and engine come from
 * RDS through the secret's `aws:rds:primarydb{instance,cluster}arn` tag.
 */
export interface AdminLogin {
  readonly arn: string;
  readonly host: string;
  readonly port: number;
  readonly username: string;
  readonly password: Sensitive<string>;
  /** The user secret's database (AWS PR #122): the admin works where the user lives. */
  readonly database: string;
  /**
   * What the admin secret itself says about TLS; unset fields take the function's default
   * (PG_SSL_MODE, PG_SSL_CA_PATH). Never the user secret's: its `"ssl": false` must not
   * make the admin log in in plaintext.
   */
  readonly tls: SecretTls;
  readonly rdsManaged: boolean;
}

/** Where the admin login is looked up: the admin secret in Secrets Manager, its database in RDS. */
export interface AdminLookup {
  readonly secrets: SecretsPort;
  /** Created on first use: most rotations never call RDS. */
  readonly rds: () => RdsPort;
}

function invalid(
  arn: string,
  problem: string,
  options: { cause?: unknown; details?: Record<string, string | number | boolean | undefined> } = {},
): RotationError {
  return new RotationError(ErrorCode.ERR_ADMIN_SECRET_INVALID, `Admin secret ${arn}: ${problem}`, {
    ...(options.cause === undefined ? {} : { cause: options.cause }),
    details: { adminSecretArn: arn, ...(options.details ?? {}) },
  });
}

export async function resolveAdminLogin(user: PostgresSecret, lookup: AdminLookup): Promise<AdminLogin> {
  const arn = user.masterArn;
  if (arn === undefined)
    throw new RotationError(
      ErrorCode.ERR_SECRET_MALFORMED,
      'Alternating-users rotation needs the secret field "masterarn" (the admin secret ARN)',
      { details: { field: 'masterarn' } },
    );
  const version = await lookup.secrets.getSecretValue({ SecretId: arn, VersionStage: Stage.AWSCURRENT });
  if (version === undefined) throw invalid(arn, 'does not exist or has no AWSCURRENT value');
  if (version.SecretString === undefined)
    throw invalid(arn, 'holds SecretBinary; expected a JSON SecretString');
  const text = version.SecretString.reveal();
  let fields: Record<string, unknown> | undefined;
  try {
    const parsed: unknown = JSON.parse(text);
    // A key given twice is not the RDS shape: parsePostgresSecret below refuses it, naming the key.
    if (
      parsed !== null &&
      typeof parsed === 'object' &&
      !Array.isArray(parsed) &&
      findDuplicateKey(text) === undefined
    )
      fields = parsed as Record<string, unknown>;
  } catch {
    fields = undefined;
  }
  const keys = fields === undefined ? [] : Object.keys(fields).sort();
  if (fields !== undefined && keys.length === 2 && keys[0] === 'password' && keys[1] === 'username') {
    return rdsManagedAdmin(arn, fields, user, lookup);
  }
  let admin: PostgresSecret;
  try {
    admin = parsePostgresSecret(version.SecretString, {
      versionId: version.VersionId,
      stage: Stage.AWSCURRENT,
    });
  } catch (error) {
    throw invalid(
      arn,
      `is not a usable PostgreSQL secret (${isRotationError(error) ? error.code : 'unreadable'})`,
      {
        cause: error,
        details: isRotationError(error)
          ? { causeCode: error.code, field: error.details['field'] as string | undefined }
          : {},
      },
    );
  }
  const login: AdminLogin = {
    arn,
    host: admin.host,
    port: admin.port,
    username: admin.username,
    password: admin.password,
    database: user.database,
    // The admin secret's own TLS fields, else the function's default: never the user secret's.
    tls: admin.tls,
    rdsManaged: false,
  };
  await checkServesUser(login, user, admin.engine ?? user.engine, lookup.rds);
  return login;
}

async function rdsManagedAdmin(
  arn: string,
  fields: Record<string, unknown>,
  user: PostgresSecret,
  { secrets, rds }: AdminLookup,
): Promise<AdminLogin> {
  const username = fields['username'];
  const password = fields['password'];
  if (typeof username !== 'string' || username === '' || typeof password !== 'string' || password === '') {
    throw invalid(arn, 'fields "username" and "password" must be non-empty strings');
  }
  const description = await secrets.describeSecret(arn);
  const tag = (name: string): string | undefined =>
    Object.entries(description.Tags).find(([key]) => key.toLowerCase() === name)?.[1];
  const instanceArn = tag(RDS_INSTANCE_TAG);
  const clusterArn = tag(RDS_CLUSTER_TAG);
  let host: string | undefined;
  let port: number | undefined;
  let engine: string | undefined;
  if (instanceArn !== undefined && instanceArn.length <= 256) {
    const instance = await rds().describeDbInstance(rdsIdentifierFromArn(instanceArn));
    if (instance?.endpoint === undefined)
      throw invalid(
        arn,
        `RDS instance ${rdsIdentifierFromArn(instanceArn)} from tag ${RDS_INSTANCE_TAG} was not found or has no endpoint`,
      );
    ({ host, port } = instance.endpoint);
    engine = instance.engine;
  } else if (clusterArn !== undefined && clusterArn.length <= 256) {
    const cluster = await rds().describeDbCluster(rdsIdentifierFromArn(clusterArn));
    if (cluster?.endpoint === undefined)
      throw invalid(
        arn,
        `RDS cluster ${rdsIdentifierFromArn(clusterArn)} from tag ${RDS_CLUSTER_TAG} was not found or has no endpoint`,
      );
    ({ host, port } = cluster.endpoint);
    engine = cluster.engine;
  } else {
    throw invalid(
      arn,
      `holds only username and password but has no ${RDS_INSTANCE_TAG} or ${RDS_CLUSTER_TAG} tag to find its database`,
    );
  }
  if (engine !== 'postgres' && engine !== 'aurora-postgresql') {
    throw new RotationError(
      ErrorCode.ERR_UNSUPPORTED_ENGINE,
      `Admin secret ${arn}: RDS reports engine "${engine.slice(0, 40)}", not postgres or aurora-postgresql`,
      { details: { adminSecretArn: arn } },
    );
  }
  const login: AdminLogin = {
    arn,
    host,
    port,
    username,
    password: new Sensitive(password),
    database: user.database,
    // An RDS-managed secret has no TLS fields: the function's default applies, never the user secret's.
    tls: { mode: undefined, caPath: undefined },
    rdsManaged: true,
  };
  await checkServesUser(login, user, engine, rds);
  return login;
}

/** The admin's host must be the user's, or the user's host must be a replica or reader of it (AWS's rule). */
async function checkServesUser(
  admin: AdminLogin,
  user: PostgresSecret,
  engine: string | undefined,
  rds: () => RdsPort,
): Promise<void> {
  // Same server: same host and port (a different port on one host is another server).
  // (RDS reports its own endpoint port, which is authoritative there.)
  if (admin.host.toLowerCase() === user.host.toLowerCase() && (admin.rdsManaged || admin.port === user.port))
    return;
  // Only RDS host names can be replicas RDS knows about; anything else would be a pointless API call.
  if (
    isRdsHost(user.host) &&
    isRdsHost(admin.host) &&
    (await isReplicaOf(user.host, admin.host, engine, rds))
  )
    return;
  throw invalid(
    admin.arn,
    admin.host.toLowerCase() === user.host.toLowerCase()
      ? `host ${admin.host} port ${admin.port} is not the user's port ${user.port}: another server on the same host`
      : `host ${admin.host} is neither the user's host ${user.host} nor its primary`,
    {
      details: { adminHost: admin.host, userHost: user.host, adminPort: admin.port, userPort: user.port },
    },
  );
}

const RDS_HOST = /\.rds\.amazonaws\.com(\.cn)?$/i;

export function isRdsHost(host: string): boolean {
  return RDS_HOST.test(host);
}

async function isReplicaOf(
  userHost: string,
  adminHost: string,
  engine: string | undefined,
  rds: () => RdsPort,
): Promise<boolean> {
  const userId = firstDnsLabel(userHost);
  const adminId = firstDnsLabel(adminHost);
  if (engine === 'aurora-postgresql') {
    const labels = adminHost.toLowerCase().split('.');
    let clusterId: string | undefined;
    if (labels[1]?.includes('cluster')) clusterId = adminId;
    else clusterId = (await rds().describeDbInstance(adminId))?.clusterIdentifier;
    if (clusterId === undefined) return false;
    const cluster = await rds().describeDbCluster(clusterId);
    if (cluster === undefined) return false;
    if (
      cluster.readerEndpoint !== undefined &&
      cluster.readerEndpoint.toLowerCase() === userHost.toLowerCase()
    )
      return true;
    return cluster.members.some(
      (member) => !member.isWriter && member.instanceIdentifier.toLowerCase() === userId,
    );
  }
  const instance = await rds().describeDbInstance(userId);
  const source = instance?.readReplicaSourceIdentifier;
  return source !== undefined && rdsIdentifierFromArn(source).toLowerCase() === adminId;
}
