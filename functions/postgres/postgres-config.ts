import { readAllowList, type AllowList } from '../../shared/allow-list.ts';
import type { EnvReader } from '../../shared/config.ts';
import { ServerTimeouts } from './pg-connector.ts';
import { PasswordEncryption } from './password-encryption.ts';
import { SCRAM_MIN_ITERATIONS } from './scram-verifier.ts';
import { SSL_MODES, SslMode } from './tls-settings.ts';

/** Which strategy rotates a secret. `auto`: alternating users when the secret has `masterarn`. */
export const PostgresStrategyName = {
  auto: 'auto',
  singleUser: 'single-user',
  alternatingUsers: 'alternating-users',
} as const;
export type PostgresStrategyName = (typeof PostgresStrategyName)[keyof typeof PostgresStrategyName];

/** Alternating users: AWS's `<user>` / `<user>_clone` pair, or the same pair acting as one NOLOGIN owner role. */
export const AlternatingNaming = {
  clone: 'clone',
  ownerRole: 'owner-role',
} as const;
export type AlternatingNaming = (typeof AlternatingNaming)[keyof typeof AlternatingNaming];

/** What to do with a role whose password has a VALID UNTIL (a finite expiry). */
export const ValidUntilPolicy = {
  /** Refuse with ERR_TARGET_ROLE_VALID_UNTIL before changing anything (default). */
  refuse: 'refuse',
  /** Set VALID UNTIL to now + PG_VALID_UNTIL_DAYS together with the new password. */
  extend: 'extend',
} as const;
export type ValidUntilPolicy = (typeof ValidUntilPolicy)[keyof typeof ValidUntilPolicy];

export interface PostgresConfig {
  /** PG_CONNECT_TIMEOUT_MS. Default 5000. */
  readonly connectTimeoutMs: number;
  /** PG_STATEMENT_TIMEOUT_MS (statement_timeout and lock_timeout). Default 10000. */
  readonly statementTimeoutMs: number;
  /** PG_SERVER_TIMEOUTS: `transaction` (SET LOCAL in every transaction) or `off`. Default transaction. */
  readonly serverTimeouts: ServerTimeouts;
  /** PG_PASSWORD_ENCRYPTION: `auto` (follow the server's password_encryption) or `scram-sha-256`. Default auto. */
  readonly passwordEncryption: PasswordEncryption;
  /** PG_VALID_UNTIL: `refuse` or `extend` a role with a VALID UNTIL. Default refuse. */
  readonly validUntil: ValidUntilPolicy;
  /** PG_VALID_UNTIL_DAYS: with `extend`, the new VALID UNTIL is now plus this many days. Default 90. */
  readonly validUntilDays: number;
  /** PG_SSL_MODE, used when the secret does not say. Default verify-full. */
  readonly sslMode: SslMode;
  /** PG_SSL_CA_PATH, a PEM bundle used when the secret has no ssl_cert_path. Default: Node's CAs plus /var/runtime/ca-cert.pem. */
  readonly sslCaPath: string | undefined;
  /** PG_ROTATION_STRATEGY. Default auto. */
  readonly strategy: PostgresStrategyName;
  /** PG_ALTERNATING_NAMING. Default clone (AWS's behaviour). */
  readonly alternatingNaming: AlternatingNaming;
  /** PG_OWNER_ROLE, the NOLOGIN role in owner-role naming. Default `<base user>_owner`. */
  readonly ownerRole: string | undefined;
  /** PG_TEST_QUERY, an extra read-only check testSecret runs as the pending user. Default: none. */
  readonly testQuery: string | undefined;
  /** PG_EMERGENCY_TERMINATE_SESSIONS: single user, emergency rotations end the user's older sessions. Default false. */
  readonly emergencyTerminateSessions: boolean;
  /** PG_BREAK_GLASS: reset an RDS master password through the RDS API when no credential logs in. Default false. */
  readonly breakGlass: boolean;
  /** PG_BREAK_GLASS_WAIT_MS: how long to wait for the reset to take effect. Default 300000. */
  readonly breakGlassWaitMs: number;
  /** PG_BREAK_GLASS_POLL_MS. Default 5000. */
  readonly breakGlassPollMs: number;
  /** PG_SCRAM_ITERATIONS (at least 4096). Default 4096. */
  readonly scramIterations: number;
  /** RDS_ENDPOINT, for VPC endpoints and tests. Default: the SDK's own resolution. */
  readonly rdsEndpoint: string | undefined;
  /**
   * PG_RDS_RESOURCE_ARNS: the RDS instances and clusters the function may describe (the database
   * of an RDS-managed admin secret; the primary, replica or cluster of an admin and its user).
   * ARNs (`arn:aws:rds:<region>:<account>:db:<id>` or `:cluster:<id>`, `*` matching as in IAM)
   * or `db:<id>` / `cluster:<id>`, comma-separated, or `*` for any; empty allows none. SAM and
   * CDK set it from the same list as the IAM grant. A secret leading elsewhere is refused
   * (ERR_TARGET_NOT_ALLOWED) before any RDS call. Default: unset, and a rotation that needs RDS
   * refuses to run (ERR_CONFIG_INVALID naming the variable).
   */
  readonly rdsResources: AllowList | undefined;
  /**
   * PG_BREAK_GLASS_RESOURCE_ARNS: the RDS instances and clusters whose master password
   * break-glass may reset (and describe), same form. Default: unset, and break-glass refuses to
   * reset anything (ERR_CONFIG_INVALID naming the variable).
   */
  readonly breakGlassResources: AllowList | undefined;
}

/** How a role's new password is stored and how its VALID UNTIL is handled (ALTER ROLE / CREATE ROLE). */
export type RolePasswordSettings = Pick<
  PostgresConfig,
  'passwordEncryption' | 'scramIterations' | 'validUntil' | 'validUntilDays'
>;

/** Alternating users: which names the two logins and their owner role take. */
export type AlternatingNamingSettings = Pick<PostgresConfig, 'alternatingNaming' | 'ownerRole'>;

/** PG_BREAK_GLASS and its bounds. */
export type BreakGlassSettings = Pick<
  PostgresConfig,
  'breakGlass' | 'breakGlassWaitMs' | 'breakGlassPollMs' | 'breakGlassResources'
>;

export function readPostgresConfig(reader: EnvReader): PostgresConfig {
  const testQuery = reader.string('PG_TEST_QUERY');
  if (testQuery !== undefined && testQuery.includes(';'))
    reader.problem('PG_TEST_QUERY must be a single statement without ";"');
  const ownerRole = reader.string('PG_OWNER_ROLE');
  const rdsEndpoint = reader.string('RDS_ENDPOINT');
  if (rdsEndpoint !== undefined && !/^https?:\/\//.test(rdsEndpoint))
    reader.problem('RDS_ENDPOINT must be an http(s) URL');
  if (ownerRole !== undefined && Buffer.byteLength(ownerRole) > 63)
    reader.problem('PG_OWNER_ROLE must be at most 63 bytes');
  return {
    connectTimeoutMs: reader.int('PG_CONNECT_TIMEOUT_MS', 5_000, { min: 100, max: 120_000 }),
    statementTimeoutMs: reader.int('PG_STATEMENT_TIMEOUT_MS', 10_000, { min: 100, max: 600_000 }),
    serverTimeouts: reader.oneOf(
      'PG_SERVER_TIMEOUTS',
      Object.values(ServerTimeouts),
      ServerTimeouts.transaction,
    ),
    passwordEncryption: reader.oneOf(
      'PG_PASSWORD_ENCRYPTION',
      Object.values(PasswordEncryption),
      PasswordEncryption.auto,
    ),
    validUntil: reader.oneOf('PG_VALID_UNTIL', Object.values(ValidUntilPolicy), ValidUntilPolicy.refuse),
    validUntilDays: reader.int('PG_VALID_UNTIL_DAYS', 90, { min: 1, max: 3650 }),
    sslMode: reader.oneOf('PG_SSL_MODE', SSL_MODES, SslMode.verifyFull),
    sslCaPath: reader.string('PG_SSL_CA_PATH'),
    strategy: reader.oneOf(
      'PG_ROTATION_STRATEGY',
      Object.values(PostgresStrategyName),
      PostgresStrategyName.auto,
    ),
    alternatingNaming: reader.oneOf(
      'PG_ALTERNATING_NAMING',
      Object.values(AlternatingNaming),
      AlternatingNaming.clone,
    ),
    ownerRole,
    testQuery,
    emergencyTerminateSessions: reader.bool('PG_EMERGENCY_TERMINATE_SESSIONS', false),
    breakGlass: reader.bool('PG_BREAK_GLASS', false),
    breakGlassWaitMs: reader.int('PG_BREAK_GLASS_WAIT_MS', 300_000, { min: 1_000, max: 840_000 }),
    breakGlassPollMs: reader.int('PG_BREAK_GLASS_POLL_MS', 5_000, { min: 50, max: 60_000 }),
    scramIterations: reader.int('PG_SCRAM_ITERATIONS', SCRAM_MIN_ITERATIONS, {
      min: SCRAM_MIN_ITERATIONS,
      max: 10_000_000,
    }),
    rdsEndpoint,
    rdsResources: readAllowList(reader, 'PG_RDS_RESOURCE_ARNS', rdsResourceKey, RDS_EXPECTED),
    breakGlassResources: readAllowList(reader, 'PG_BREAK_GLASS_RESOURCE_ARNS', rdsResourceKey, RDS_EXPECTED),
  };
}

const RDS_EXPECTED = 'RDS instance or cluster ARNs (or db:<id>, cluster:<id>)';

/** `db:<id>` or `cluster:<id>` (lower case: RDS identifiers are), from an ARN or that short form. */
export function rdsResourceKey(entry: string): string | undefined {
  const match =
    /^arn:[^:]+:rds:[^:]*:[^:]*:(db|cluster):([A-Za-z0-9*-]+)$/.exec(entry) ??
    /^(db|cluster):([A-Za-z0-9*-]+)$/.exec(entry);
  return match ? `${match[1]}:${(match[2] ?? '').toLowerCase()}` : undefined;
}
