/**
 * The IAM statements a rotation function may hold, by Sid. The SAM template
 * (infra/template.yaml) uses the same Sids and actions; test/infra proves the two match.
 *
 * Why each is needed:
 * - RotateSecretsThatNameThisFunction: the four steps read the secret's labels
 *   (DescribeSecret), read AWSCURRENT/AWSPENDING (GetSecretValue), store the new version
 *   (PutSecretValue) and move AWSCURRENT (UpdateSecretVersionStage). Only on secrets whose
 *   rotation function is this function (`secretsmanager:resource/AllowRotationLambdaArn`).
 *   PostgreSQL also lists every version, deprecated ones included (ListSecretVersionIds), to
 *   refuse any of the user's last four passwords (PCI DSS).
 * - ClearEmergencyTag: after an emergency rotation the core removes the
 *   `RotationMode=emergency` tag; only that tag key may be removed. (The operator CLI sets
 *   the tag, so the function never needs TagResource.)
 * - RecordReplicaStatus: on a replicated secret the core records, per replica Region, the
 *   lag or state of the new version in the `RotationReplicas` tag; only that tag key may be set.
 * - RecordRotationProgress: at the end of each step the core records, in the
 *   `RotationProgress:*` tags, the step, outcome, error code, attempt, time, kind, emergency
 *   state and whether AWSCURRENT still logs in (never a value), so `rotation status` and
 *   `rotate --follow poll` show progress against AWS; only those tag keys may be set.
 * - ReadReplicaRegions: DescribeSecret (labels and status, never a value) of secrets in the
 *   replica Regions given, to check replicas before a cut-over and wait for them after
 *   finishSecret. Only when replica Regions are given.
 * - GeneratePasswords: GetRandomPassword has no resource type, hence `*`. PostgreSQL and
 *   Redis only: JWT keys come from Node's crypto.
 * - ReadAdminSecrets: PostgreSQL alternating users log in with the admin (master) secret
 *   and read its tags to find an RDS-managed master's instance (DescribeSecret); Redis ACL
 *   changes may run as an admin user (GetSecretValue only).
 * - DescribeDatabases: resolve an RDS-managed master secret's host, port and engine, check that
 *   a user's host is a replica or reader of its admin's, and find break-glass's master user. Only
 *   on the databases named (`rdsResourceArns` plus `breakGlassResourceArns`); none named, none
 *   granted (the function also refuses others: PG_RDS_RESOURCE_ARNS).
 * - BreakGlassResetMasterPassword: opt-in reset of an RDS master password, only on
 *   `breakGlassResourceArns` (PG_BREAK_GLASS_RESOURCE_ARNS), never switching the database to an
 *   RDS-managed password (`rds:ManageMasterUserPassword`). IAM has no condition key that limits
 *   ModifyDBInstance/ModifyDBCluster to the password: on those databases any change is allowed;
 *   the function sends MasterUserPassword and ApplyImmediately only.
 * - DescribeElastiCacheReplicationGroups / RotateElastiCacheAuthTokens and DescribeElastiCacheUsers
 *   / RotateElastiCacheUsers: the auth-token (ModifyReplicationGroup ROTATE/SET) and RBAC-user
 *   (ModifyUser, kept on passwords by `elasticache:UserAuthenticationMode`) modes and their bounded
 *   waits (Describe*), each only when replication groups / users are named, and only on those (the
 *   function also refuses a secret naming another: ELASTICACHE_REPLICATION_GROUP_IDS /
 *   ELASTICACHE_USER_IDS). Describe and Modify are apart so that `targetTag`, an
 *   `aws:ResourceTag` condition, applies to the Modify actions (break-glass's too).
 * - UseSecretsKeyThroughSecretsManager: secrets encrypted with a customer managed key need
 *   kms:Decrypt (read) and kms:GenerateDataKey (write), only via Secrets Manager
 *   (`kms:ViaService`) and only for the secrets the function rotates
 *   (`kms:EncryptionContext:SecretARN`, the context Secrets Manager encrypts with).
 * - DecryptAdminSecretsThroughSecretsManager: the admin secrets' keys, kms:Decrypt only
 *   (the function never writes an admin secret), same two conditions on the admin secrets.
 * - WriteOwnLogs, ManageVpcNetworkInterfaces: Lambda's own plumbing (logs; ENIs in a VPC).
 */

export const RotationKind = {
  jwt: 'jwt',
  postgres: 'postgres',
  redis: 'redis',
} as const;
export type RotationKind = (typeof RotationKind)[keyof typeof RotationKind];
export const ROTATION_KINDS: readonly RotationKind[] = Object.freeze(Object.values(RotationKind));

export const StatementId = {
  writeOwnLogs: 'WriteOwnLogs',
  manageVpcNetworkInterfaces: 'ManageVpcNetworkInterfaces',
  rotateSecrets: 'RotateSecretsThatNameThisFunction',
  clearEmergencyTag: 'ClearEmergencyTag',
  recordReplicaStatus: 'RecordReplicaStatus',
  recordRotationProgress: 'RecordRotationProgress',
  readReplicaRegions: 'ReadReplicaRegions',
  generatePasswords: 'GeneratePasswords',
  readAdminSecrets: 'ReadAdminSecrets',
  describeDatabases: 'DescribeDatabases',
  breakGlass: 'BreakGlassResetMasterPassword',
  describeElastiCacheReplicationGroups: 'DescribeElastiCacheReplicationGroups',
  rotateElastiCacheAuthTokens: 'RotateElastiCacheAuthTokens',
  describeElastiCacheUsers: 'DescribeElastiCacheUsers',
  rotateElastiCacheUsers: 'RotateElastiCacheUsers',
  useKmsKey: 'UseSecretsKeyThroughSecretsManager',
  useAdminKmsKey: 'DecryptAdminSecretsThroughSecretsManager',
} as const;
export type StatementId = (typeof StatementId)[keyof typeof StatementId];

export const Actions = {
  writeOwnLogs: ['logs:CreateLogStream', 'logs:PutLogEvents'],
  manageVpcNetworkInterfaces: [
    'ec2:CreateNetworkInterface',
    'ec2:DescribeNetworkInterfaces',
    'ec2:DescribeSubnets',
    'ec2:DeleteNetworkInterface',
    'ec2:AssignPrivateIpAddresses',
    'ec2:UnassignPrivateIpAddresses',
  ],
  rotateSecrets: [
    'secretsmanager:DescribeSecret',
    'secretsmanager:GetSecretValue',
    'secretsmanager:PutSecretValue',
    'secretsmanager:UpdateSecretVersionStage',
  ],
  /** Added to rotateSecrets, same resources and condition. */
  readPasswordHistory: {
    jwt: [],
    postgres: ['secretsmanager:ListSecretVersionIds'],
    redis: [],
  },
  clearEmergencyTag: ['secretsmanager:UntagResource'],
  recordReplicaStatus: ['secretsmanager:TagResource'],
  recordRotationProgress: ['secretsmanager:TagResource'],
  readReplicaRegions: ['secretsmanager:DescribeSecret'],
  generatePasswords: ['secretsmanager:GetRandomPassword'],
  readAdminSecrets: {
    jwt: [],
    postgres: ['secretsmanager:DescribeSecret', 'secretsmanager:GetSecretValue'],
    redis: ['secretsmanager:GetSecretValue'],
  },
  describeDatabases: ['rds:DescribeDBInstances', 'rds:DescribeDBClusters'],
  breakGlass: ['rds:ModifyDBInstance', 'rds:ModifyDBCluster'],
  describeElastiCacheReplicationGroups: ['elasticache:DescribeReplicationGroups'],
  rotateElastiCacheAuthTokens: ['elasticache:ModifyReplicationGroup'],
  describeElastiCacheUsers: ['elasticache:DescribeUsers'],
  rotateElastiCacheUsers: ['elasticache:ModifyUser'],
  useKmsKey: ['kms:Decrypt', 'kms:GenerateDataKey'],
  useAdminKmsKey: ['kms:Decrypt'],
} as const;

/** The tag key of the SAM template's RotationTargetTagValue (CDK's `targetTag` may use any key). */
export const TARGET_TAG_KEY = 'SecretsRotationTarget';

/** Conditions IAM can put on the Modify actions, whatever the tag (see the Sids above). */
export const MODIFY_CONDITIONS = Object.freeze({
  breakGlass: { BoolIfExists: { 'rds:ManageMasterUserPassword': 'false' } },
  rotateElastiCacheAuthTokens: {},
  rotateElastiCacheUsers: { StringEqualsIfExists: { 'elasticache:UserAuthenticationMode': 'password' } },
});

/** The encryption context key Secrets Manager sets on every KMS call for a secret. */
export const SECRET_ARN_CONTEXT_KEY = 'kms:EncryptionContext:SecretARN';

/** The tag the core removes after an emergency rotation (shared/constants.ts ROTATION_MODE_TAG). */
export const EMERGENCY_TAG_KEY = 'RotationMode';

/** The tag the core records replica progress in (shared/replicas.ts REPLICA_STATUS_TAG). */
export const REPLICA_STATUS_TAG_KEY = 'RotationReplicas';

/** The tags the core records each step's progress in (shared/rotation-progress.ts ProgressTag); test/infra proves the lists match. */
export const PROGRESS_TAG_KEYS: readonly string[] = Object.freeze([
  'RotationProgress:Token',
  'RotationProgress:Step',
  'RotationProgress:Outcome',
  'RotationProgress:ErrorCode',
  'RotationProgress:Attempt',
  'RotationProgress:At',
  'RotationProgress:Kind',
  'RotationProgress:Emergency',
  'RotationProgress:Current',
]);

/** What each kind needs beyond the statements every kind has. */
export const KIND_FEATURES: Readonly<
  Record<
    RotationKind,
    {
      readonly passwords: boolean;
      readonly adminSecrets: boolean;
      readonly rds: boolean;
      readonly elastiCache: boolean;
    }
  >
> = Object.freeze({
  jwt: { passwords: false, adminSecrets: false, rds: false, elastiCache: false },
  postgres: { passwords: true, adminSecrets: true, rds: true, elastiCache: false },
  redis: { passwords: true, adminSecrets: true, rds: false, elastiCache: true },
});
