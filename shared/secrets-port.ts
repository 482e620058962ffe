import { Stage } from './constants.ts';
import { isRotationError } from './errors.ts';
import type { Sensitive } from './sensitive.ts';

/**
 * The Secrets Manager port: the only way the core and the strategies talk to Secrets
 * Manager. The default adapter wraps the AWS SDK client (sdk-secrets-port.ts); tests
 * and the fault-injection harness wrap or replace it.
 */

export type VersionIdsToStages = Readonly<Record<string, readonly string[]>>;

/** One entry of DescribeSecret's ReplicationStatus (API:ReplicationStatusType). */
export interface ReplicaStatus {
  readonly Region: string;
  /** InSync (the replica exists), InProgress (being created) or Failed. */
  readonly Status?: string;
  readonly StatusMessage?: string;
}

export interface SecretDescription {
  readonly ARN: string;
  readonly Name: string;
  /** Absent when rotation was never configured. */
  readonly RotationEnabled?: boolean;
  readonly RotationLambdaARN?: string;
  readonly VersionIdsToStages: VersionIdsToStages;
  /** Tags as a map (keys are case-sensitive, as in AWS). */
  readonly Tags: Readonly<Record<string, string>>;
  readonly LastRotatedDate?: Date;
  readonly NextRotationDate?: Date;
  /** Set on replicated secrets: the Region of the primary. */
  readonly PrimaryRegion?: string;
  /** On a primary: its replica Regions. Absent or empty when the secret is not replicated. */
  readonly ReplicationStatus?: readonly ReplicaStatus[];
}

export interface SecretVersion {
  readonly ARN: string;
  readonly VersionId: string;
  readonly VersionStages: readonly string[];
  /** Exactly one of these is set. */
  readonly SecretString?: Sensitive<string>;
  readonly SecretBinary?: Sensitive<Uint8Array>;
}

export interface GetSecretValueInput {
  readonly SecretId: string;
  readonly VersionId?: string;
  readonly VersionStage?: string;
}

export interface PutSecretValueInput {
  readonly SecretId: string;
  readonly ClientRequestToken: string;
  readonly SecretString: Sensitive<string>;
  readonly VersionStages: readonly string[];
  readonly RotationToken?: string;
}

export interface UpdateSecretVersionStageInput {
  readonly SecretId: string;
  readonly VersionStage: string;
  readonly MoveToVersionId?: string;
  readonly RemoveFromVersionId?: string;
}

/** One entry of ListSecretVersionIds. Deprecated versions (no staging label) have empty VersionStages. */
export interface SecretVersionEntry {
  readonly VersionId: string;
  readonly VersionStages: readonly string[];
  readonly CreatedDate?: Date;
}

/** GetRandomPassword's inputs, with AWS's names. */
export interface RandomPasswordInput {
  readonly PasswordLength: number;
  readonly ExcludeCharacters: string;
  readonly ExcludeNumbers: boolean;
  readonly ExcludePunctuation: boolean;
  readonly ExcludeUppercase: boolean;
  readonly ExcludeLowercase: boolean;
  readonly IncludeSpace: boolean;
  readonly RequireEachIncludedType: boolean;
}

export interface SecretsPort {
  describeSecret(secretId: string): Promise<SecretDescription>;
  /** Resolves `undefined` when the version or stage holds no value (ResourceNotFoundException). */
  getSecretValue(input: GetSecretValueInput): Promise<SecretVersion | undefined>;
  /**
   * Rejects with an error `isVersionExists` recognises when the version already holds a
   * different value (ResourceExistsException); the same value again succeeds without change.
   */
  putSecretValue(input: PutSecretValueInput): Promise<void>;
  updateSecretVersionStage(input: UpdateSecretVersionStageInput): Promise<void>;
  /**
   * Every version of the secret, deprecated ones included (ListSecretVersionIds with
   * IncludeDeprecated, all pages), in the service's order.
   */
  listSecretVersionIds(secretId: string): Promise<readonly SecretVersionEntry[]>;
  getRandomPassword(input: RandomPasswordInput): Promise<Sensitive<string>>;
  tagResource(secretId: string, tags: Readonly<Record<string, string>>): Promise<void>;
  untagResource(secretId: string, tagKeys: readonly string[]): Promise<void>;
}

/** The AWS error name of PutSecretValue under a ClientRequestToken whose version holds another value. */
export const RESOURCE_EXISTS = 'ResourceExistsException';

/** Whether a putSecretValue failure means the version already holds a (different) value. */
export function isVersionExists(error: unknown): boolean {
  return isRotationError(error) && error.details['awsError'] === RESOURCE_EXISTS;
}

/** The version that holds `stage`, if any. */
export function versionWithStage(stages: VersionIdsToStages, stage: string): string | undefined {
  for (const [versionId, labels] of Object.entries(stages)) {
    if (labels.includes(stage)) return versionId;
  }
  return undefined;
}

/**
 * The labels after a successful UpdateSecretVersionStage, by the service's rules: a label
 * sits on one version at most, so it leaves every other version for MoveToVersionId; without
 * MoveToVersionId it leaves RemoveFromVersionId. When AWSCURRENT moves, AWSPREVIOUS follows
 * to the version AWSCURRENT left. Every other label stays where it was.
 */
export function withStageMoved(
  stages: VersionIdsToStages,
  input: Omit<UpdateSecretVersionStageInput, 'SecretId'>,
): VersionIdsToStages {
  const stage = input.VersionStage;
  const target = input.MoveToVersionId;
  const left = stage === Stage.AWSCURRENT ? versionWithStage(stages, Stage.AWSCURRENT) : undefined;
  if (target !== undefined && left === target) return stages;
  const moving = (label: string): boolean =>
    label === stage || (left !== undefined && label === Stage.AWSPREVIOUS);
  const moved: Record<string, readonly string[]> = {};
  for (const id of new Set([...Object.keys(stages), ...(target === undefined ? [] : [target])])) {
    const labels = (stages[id] ?? []).filter(
      (label) => !moving(label) || (target === undefined && id !== input.RemoveFromVersionId),
    );
    if (id === target) labels.push(stage);
    if (id === left && target !== undefined) labels.push(Stage.AWSPREVIOUS);
    if (labels.length > 0) moved[id] = labels;
  }
  return moved;
}

/**
 * The secret as it stands once AWSCURRENT is on `versionId` (withStageMoved); unchanged when
 * it already is. Lets finishSecret go on after its own label move without describing the
 * secret again.
 */
export function withCurrentMoved(description: SecretDescription, versionId: string): SecretDescription {
  const moved = withStageMoved(description.VersionIdsToStages, {
    VersionStage: Stage.AWSCURRENT,
    MoveToVersionId: versionId,
  });
  return moved === description.VersionIdsToStages
    ? description
    : { ...description, VersionIdsToStages: moved };
}
