import type { Tag } from './input.ts';

/** The emulator's state for one secret. Times are epoch milliseconds. */
export interface VersionRecord {
  readonly versionId: string;
  stages: string[];
  /** Neither set: the empty AWSPENDING placeholder RotateSecret creates (R6). */
  secretString?: string;
  /** Base64, as on the wire (W7). */
  secretBinary?: string;
  readonly createdMs: number;
  lastAccessedMs?: number;
}

export interface RotationRules {
  readonly AutomaticallyAfterDays?: number;
  readonly ScheduleExpression?: string;
  readonly Duration?: string;
}

/** ReplicationStatusType's Status (API:ReplicationStatusType). */
export type ReplicaStatus = 'InSync' | 'InProgress' | 'Failed';

/** One replica Region of a primary secret (MR1-MR3 in scripts/emulator/README.md). */
export interface ReplicaRecord {
  readonly region: string;
  kmsKeyId?: string;
  status: ReplicaStatus;
  statusMessage?: string;
}

export interface SecretRecord {
  readonly arn: string;
  readonly name: string;
  description?: string;
  kmsKeyId?: string;
  /** Undefined until tags were ever set; `[]` after removing every tag (D1). */
  tags?: Tag[];
  readonly createdMs: number;
  lastChangedMs: number;
  lastAccessedMs?: number;
  /** When the scheduled deletion happens (D6, DL1). */
  deletionMs?: number;
  rotationEnabled?: boolean;
  rotationLambdaArn?: string;
  rotationRules?: RotationRules;
  lastRotatedMs?: number;
  nextRotationMs?: number;
  /** Oldest first. */
  versions: VersionRecord[];
  /** On a replica: the Region of its primary (MR4). */
  primaryRegion?: string;
  /** On a primary: its replica Regions, in the order they were added (MR1). */
  replicas?: ReplicaRecord[];
}

/** The Region of a secret ARN (`arn:aws:secretsmanager:<region>:...`). */
export const regionOfArn = (arn: string): string => arn.split(':')[3] ?? '';

export const AWSCURRENT = 'AWSCURRENT';
export const AWSPENDING = 'AWSPENDING';
export const AWSPREVIOUS = 'AWSPREVIOUS';

/** W6: epoch seconds, possibly fractional. */
export const seconds = (ms: number | undefined): number | undefined =>
  ms === undefined ? undefined : ms / 1000;

/** G7, L1: access dates have date resolution (midnight UTC). */
export const dayOf = (ms: number): number => Math.floor(ms / 86_400_000) * 86_400_000;

export function versionWithStage(secret: SecretRecord, stage: string): VersionRecord | undefined {
  return secret.versions.find((version) => version.stages.includes(stage));
}

export function findVersion(secret: SecretRecord, versionId: string): VersionRecord | undefined {
  return secret.versions.find((version) => version.versionId === versionId);
}

export function hasValue(version: VersionRecord): boolean {
  return version.secretString !== undefined || version.secretBinary !== undefined;
}

export function removeStage(version: VersionRecord, stage: string): void {
  version.stages = version.stages.filter((label) => label !== stage);
}

export function addStage(version: VersionRecord, stage: string): void {
  if (!version.stages.includes(stage)) version.stages.push(stage);
}

/** V2: attaching a label anywhere takes it off every other version. */
export function attachStage(secret: SecretRecord, target: VersionRecord, stage: string): void {
  for (const version of secret.versions) if (version !== target) removeStage(version, stage);
  addStage(target, stage);
}

/**
 * V3, U1: move AWSCURRENT to `target`; AWSPREVIOUS follows to the version it left and
 * leaves whichever version held it before. `dropPending` applies P7 (PutSecretValue and
 * UpdateSecret): the version AWSCURRENT left keeps no AWSPENDING.
 */
export function moveCurrent(
  secret: SecretRecord,
  target: VersionRecord,
  options: { readonly dropPending: boolean },
): void {
  const old = versionWithStage(secret, AWSCURRENT);
  if (old === target) return;
  for (const version of secret.versions) removeStage(version, AWSPREVIOUS);
  attachStage(secret, target, AWSCURRENT);
  if (old) {
    if (options.dropPending) removeStage(old, AWSPENDING);
    addStage(old, AWSPREVIOUS);
  }
}

/** D5, V4: only versions that carry labels. */
export function versionIdsToStages(secret: SecretRecord): Record<string, string[]> | undefined {
  const labelled = secret.versions.filter((version) => version.stages.length > 0);
  if (labelled.length === 0) return undefined;
  return Object.fromEntries(labelled.map((version) => [version.versionId, [...version.stages]]));
}

/** Drop undefined members so the wire shows only fields that have a value (D1). */
export function compact<T extends Record<string, unknown>>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, member]) => member !== undefined)) as T;
}

/** The fields DescribeSecret and ListSecrets share (D1-D6, LS1). */
export function describeFields(secret: SecretRecord): Record<string, unknown> {
  const rotationDisabled = secret.rotationEnabled === false;
  return compact({
    ARN: secret.arn,
    Name: secret.name,
    Description: secret.description,
    KmsKeyId: secret.kmsKeyId,
    RotationEnabled: secret.rotationEnabled,
    RotationLambdaARN: secret.rotationLambdaArn,
    RotationRules: secret.rotationRules ? { ...secret.rotationRules } : undefined,
    // D4: both dates are null once rotation is turned off.
    LastRotatedDate: rotationDisabled ? undefined : seconds(secret.lastRotatedMs),
    LastChangedDate: seconds(secret.lastChangedMs),
    LastAccessedDate: seconds(secret.lastAccessedMs),
    DeletedDate: seconds(secret.deletionMs),
    NextRotationDate: rotationDisabled ? undefined : seconds(secret.nextRotationMs),
    // MR4/D7: on a replica, the primary's Region; on a replicated primary, its own.
    PrimaryRegion: secret.primaryRegion ?? (secret.replicas?.length ? regionOfArn(secret.arn) : undefined),
    Tags: secret.tags ? secret.tags.map((tag) => ({ ...tag })) : undefined,
    CreatedDate: seconds(secret.createdMs),
  });
}

export function cloneSecret(secret: SecretRecord): SecretRecord {
  return structuredClone(secret);
}
