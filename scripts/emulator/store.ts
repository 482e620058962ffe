import { randomInt } from 'node:crypto';
import { Input, INVALID_NAME_MESSAGE, SECRET_NAME } from './input.ts';
import { listSecrets, listSecretVersionIds } from './list-secrets.ts';
import { readToken, readValue, sameValue, TOKEN_RULE, type SecretValue } from './secret-value.ts';
import {
  AWSCURRENT,
  attachStage,
  cloneSecret,
  compact,
  dayOf,
  describeFields,
  findVersion,
  hasValue,
  moveCurrent,
  removeStage,
  seconds,
  versionIdsToStages,
  versionWithStage,
  type SecretRecord,
  type VersionRecord,
} from './secret-record.ts';
import { nextRotationMs } from './rotation-schedule.ts';
import {
  invalidParameter,
  invalidRequest,
  notFound,
  resourceExists,
  ServiceError,
  ServiceErrorType,
  validation,
} from './service-error.ts';

export type Clock = () => number;
export type Output = Record<string, unknown>;

export interface StoreOptions {
  readonly region: string;
  readonly accountId: string;
  /** Epoch milliseconds. Default Date.now. */
  readonly clock?: Clock;
  /** V5: versions a secret may hold. Default 100. */
  readonly versionQuota?: number;
  /** Called after every change, e.g. to persist the state. */
  readonly onChange?: () => void;
}

const DAY_MS = 86_400_000;
const SUFFIX_CHARS = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
/** I5: how the random suffix of a secret ARN looks. */
const ARN_SUFFIX = /-[A-Za-z0-9]{6}$/;
const MARKED_FOR_DELETION =
  "You can't perform this operation on the secret because it was marked for deletion.";

export const sameTokenMessage = (token: string, arn: string): string =>
  `You can't use ClientRequestToken ${token} because that value is already in use for a version of secret ${arn}.`;

/**
 * The Secrets Manager model for one region: secrets, versions, labels, idempotency
 * tokens, deletion windows. Pure state and rules: no HTTP, no Lambda. Operations take
 * the request body and return the response body (epoch-second times), or throw a
 * ServiceError. Every operation is synchronous, so each is atomic.
 */
export class SecretStore {
  readonly region: string;
  readonly accountId: string;
  readonly clock: Clock;
  private readonly versionQuota: number;
  private readonly onChange: (() => void) | undefined;
  private readonly secrets = new Map<string, SecretRecord>();

  constructor(options: StoreOptions) {
    this.region = options.region;
    this.accountId = options.accountId;
    this.clock = options.clock ?? Date.now;
    this.versionQuota = options.versionQuota ?? 100;
    this.onChange = options.onChange;
  }

  // ---- lookup -------------------------------------------------------------------------

  /**
   * I1: name, full ARN, or ARN without the random suffix. I5: an ARN that ends like a suffix
   * (`-` and six letters or digits) is only ever a full ARN, even when it is also the partial
   * ARN of a secret whose name ends that way. Expired deletions are purged first.
   */
  find(secretId: string): SecretRecord | undefined {
    this.purgeExpired();
    if (secretId.startsWith('arn:')) {
      const mayBePartial = !ARN_SUFFIX.test(secretId);
      for (const secret of this.secrets.values()) {
        if (secret.arn === secretId || (mayBePartial && secret.arn.slice(0, -7) === secretId)) return secret;
      }
      return undefined;
    }
    for (const secret of this.secrets.values()) if (secret.name === secretId) return secret;
    return undefined;
  }

  private require(input: Input): SecretRecord {
    const secret = this.find(input.secretId());
    if (!secret) throw notFound();
    return secret;
  }

  private requireActive(input: Input): SecretRecord {
    const secret = this.require(input);
    if (secret.deletionMs !== undefined) throw invalidRequest(MARKED_FOR_DELETION);
    return secret;
  }

  private purgeExpired(): void {
    const now = this.clock();
    for (const [arn, secret] of this.secrets) {
      if (secret.deletionMs !== undefined && secret.deletionMs <= now) this.secrets.delete(arn);
    }
  }

  private changed(secret?: SecretRecord): void {
    if (secret) secret.lastChangedMs = this.clock();
    this.onChange?.();
  }

  all(): SecretRecord[] {
    this.purgeExpired();
    return [...this.secrets.values()];
  }

  // ---- persistence ----------------------------------------------------------------------

  snapshot(): SecretRecord[] {
    return [...this.secrets.values()].map(cloneSecret);
  }

  load(records: readonly SecretRecord[]): void {
    this.secrets.clear();
    for (const record of records) this.secrets.set(record.arn, cloneSecret(record));
  }

  // ---- shared rules ---------------------------------------------------------------------

  /** V5: make room for one more version, or fail with LimitExceededException. */
  private ensureCapacity(secret: SecretRecord): void {
    const cutoff = this.clock() - DAY_MS;
    while (secret.versions.length >= this.versionQuota) {
      const removable = secret.versions.find(
        (version) => version.stages.length === 0 && version.createdMs <= cutoff,
      );
      if (!removable) {
        throw new ServiceError(
          ServiceErrorType.LimitExceededException,
          `Secret ${secret.arn} has reached the quota of ${this.versionQuota} versions; unlabelled versions younger than 24 hours are not removed.`,
        );
      }
      secret.versions = secret.versions.filter((version) => version !== removable);
    }
  }

  private addVersion(
    secret: SecretRecord,
    versionId: string,
    value: SecretValue | undefined,
    stages: string[],
  ): VersionRecord {
    this.ensureCapacity(secret);
    const version: VersionRecord = { versionId, stages: [], createdMs: this.clock(), ...value };
    secret.versions.push(version);
    for (const stage of stages) this.applyStage(secret, version, stage);
    return version;
  }

  private applyStage(secret: SecretRecord, version: VersionRecord, stage: string): void {
    if (stage === AWSCURRENT) {
      moveCurrent(secret, version, { dropPending: true });
      // R4: a manual update counts as a rotation for the schedule.
      if (secret.rotationEnabled) secret.nextRotationMs = nextRotationMs(secret.rotationRules, this.clock());
    } else {
      attachStage(secret, version, stage);
    }
  }

  // ---- operations -----------------------------------------------------------------------

  createSecret(body: Record<string, unknown>): Output {
    const input = new Input(body);
    const name = input.string('Name', { required: true, min: 1, max: 512 });
    if (!SECRET_NAME.test(name))
      throw new ServiceError(ServiceErrorType.ValidationException, INVALID_NAME_MESSAGE);
    const token = readToken(input, ServiceErrorType.InvalidRequestException);
    const description = input.string('Description', { max: 2048 });
    const kmsKeyId = input.string('KmsKeyId', { max: 2048 });
    const tags = input.tags();
    const value = readValue(input, false);
    input.objectList('AddReplicaRegions'); // MR1: type-checked here, applied by the Replicator
    input.boolean('ForceOverwriteReplicaSecret');
    const existing = this.find(name);
    if (existing) {
      if (existing.deletionMs !== undefined) {
        throw invalidRequest(
          "You can't create this secret because a secret with this name is already scheduled for deletion.",
        );
      }
      const version = findVersion(existing, token);
      if (version && value && hasValue(version)) {
        if (sameValue(version, value))
          return { ARN: existing.arn, Name: existing.name, VersionId: version.versionId };
        throw resourceExists(sameTokenMessage(token, existing.arn));
      }
      throw resourceExists(`The operation failed because the secret ${name} already exists.`);
    }
    let suffix = '';
    for (let index = 0; index < 6; index += 1) suffix += SUFFIX_CHARS[randomInt(SUFFIX_CHARS.length)];
    const now = this.clock();
    const secret: SecretRecord = {
      arn: `arn:aws:secretsmanager:${this.region}:${this.accountId}:secret:${name}-${suffix}`,
      name,
      createdMs: now,
      lastChangedMs: now,
      versions: [],
      ...(description !== undefined ? { description } : {}),
      ...(kmsKeyId !== undefined ? { kmsKeyId } : {}),
      ...(tags !== undefined ? { tags } : {}),
    };
    if (value) this.addVersion(secret, token, value, [AWSCURRENT]);
    this.secrets.set(secret.arn, secret);
    this.changed();
    return compact({ ARN: secret.arn, Name: secret.name, VersionId: value ? token : undefined });
  }

  describeSecret(body: Record<string, unknown>): Output {
    const secret = this.require(new Input(body));
    return compact({ ...describeFields(secret), VersionIdsToStages: versionIdsToStages(secret) });
  }

  getSecretValue(body: Record<string, unknown>): Output {
    const input = new Input(body);
    const versionId = input.string('VersionId', TOKEN_RULE);
    const stage = input.string('VersionStage', { min: 1, max: 256 });
    const secret = this.requireActive(input);
    const missing = (): ServiceError =>
      notFound(
        `Secrets Manager can't find the specified secret value for ${versionId !== undefined ? `VersionId: ${versionId}` : `staging label: ${stage ?? AWSCURRENT}`}`,
      );
    let version: VersionRecord | undefined;
    if (versionId !== undefined) {
      version = findVersion(secret, versionId);
      if (version && stage !== undefined && !version.stages.includes(stage)) {
        throw invalidRequest('You provided a VersionStage that is not associated to the provided VersionId.');
      }
    } else {
      version = versionWithStage(secret, stage ?? AWSCURRENT);
    }
    // G5: the rotation placeholder has no value yet.
    if (!version || !hasValue(version)) throw missing();
    const today = dayOf(this.clock());
    secret.lastAccessedMs = today;
    version.lastAccessedMs = today;
    this.changed();
    return compact({
      ARN: secret.arn,
      Name: secret.name,
      VersionId: version.versionId,
      SecretString: version.secretString,
      SecretBinary: version.secretBinary,
      VersionStages: [...version.stages],
      CreatedDate: seconds(version.createdMs),
    });
  }

  putSecretValue(body: Record<string, unknown>): Output {
    const input = new Input(body);
    const token = readToken(input, ServiceErrorType.InvalidRequestException);
    const value = readValue(input, true) as SecretValue;
    const stages = input.stringList('VersionStages', { min: 1, max: 20, item: { min: 1, max: 256 } });
    input.string('RotationToken', { min: 36, max: 256, pattern: /^[a-zA-Z0-9-]+$/, secret: true });
    const secret = this.requireActive(input);
    const respond = (version: VersionRecord): Output => ({
      ARN: secret.arn,
      Name: secret.name,
      VersionId: version.versionId,
      VersionStages: [...version.stages],
    });
    const existing = findVersion(secret, token);
    if (existing && hasValue(existing)) {
      if (sameValue(existing, value)) return respond(existing); // P2
      throw resourceExists(sameTokenMessage(token, secret.arn)); // P3
    }
    const wanted = stages ?? [AWSCURRENT];
    if (secret.versions.length === 0 && !wanted.includes(AWSCURRENT)) wanted.push(AWSCURRENT); // P6
    let version: VersionRecord;
    if (existing) {
      // P9: fill the rotation placeholder; it keeps the labels it has.
      Object.assign(existing, value);
      for (const stage of wanted) this.applyStage(secret, existing, stage);
      version = existing;
    } else {
      version = this.addVersion(secret, token, value, wanted);
    }
    this.changed(secret);
    return respond(version);
  }

  updateSecret(body: Record<string, unknown>): Output {
    const input = new Input(body);
    const token = readToken(input, ServiceErrorType.InvalidRequestException);
    const description = input.string('Description', { max: 2048 });
    const kmsKeyId = input.string('KmsKeyId', { max: 2048 });
    const value = readValue(input, false);
    const secret = this.requireActive(input); // US3
    let versionId: string | undefined;
    if (value) {
      const existing = findVersion(secret, token);
      if (existing && hasValue(existing)) {
        if (!sameValue(existing, value)) throw resourceExists(sameTokenMessage(token, secret.arn)); // US2
      } else if (existing) {
        Object.assign(existing, value);
        this.applyStage(secret, existing, AWSCURRENT);
      } else {
        this.addVersion(secret, token, value, [AWSCURRENT]);
      }
      versionId = token;
    }
    if (description !== undefined) secret.description = description;
    if (kmsKeyId !== undefined) secret.kmsKeyId = kmsKeyId;
    this.changed(secret);
    return compact({ ARN: secret.arn, Name: secret.name, VersionId: versionId });
  }

  updateSecretVersionStage(body: Record<string, unknown>): Output {
    const input = new Input(body);
    const stage = input.string('VersionStage', { required: true, min: 1, max: 256 });
    const moveTo = input.string('MoveToVersionId', TOKEN_RULE);
    const removeFrom = input.string('RemoveFromVersionId', TOKEN_RULE);
    const secret = this.requireActive(input);
    if (moveTo === undefined && removeFrom === undefined)
      throw invalidParameter('You must specify MoveToVersionId, RemoveFromVersionId, or both.');
    const version = (id: string): VersionRecord => {
      const found = findVersion(secret, id);
      if (!found) throw invalidParameter(`Not a valid version: ${id}`);
      return found;
    };
    const target = moveTo === undefined ? undefined : version(moveTo);
    const source = removeFrom === undefined ? undefined : version(removeFrom);
    const holder = versionWithStage(secret, stage);
    if (source && !source.stages.includes(stage)) {
      throw invalidParameter(
        `The staging label ${stage} is not attached to version ${source.versionId}, so you can't remove it from that version.`,
      );
    }
    if (target) {
      if (!target.stages.includes(stage) && target.stages.length >= 20) {
        throw new ServiceError(
          ServiceErrorType.LimitExceededException,
          `Version ${target.versionId} already has 20 staging labels, the most a version can have.`,
        ); // V1
      }
      if (holder && holder !== target && source !== holder) {
        throw invalidParameter(
          `The parameter RemoveFromVersionId can't be empty. Staging label ${stage} is currently attached to version ${holder.versionId}, so you must explicitly reference that version in RemoveFromVersionId.`,
        );
      }
      if (stage === AWSCURRENT)
        moveCurrent(secret, target, { dropPending: false }); // U1, U3
      else attachStage(secret, target, stage);
    } else if (source) {
      // U6 (decided): AWSCURRENT can only move, never simply be removed.
      if (stage === AWSCURRENT)
        throw invalidParameter(
          'You can only move staging label AWSCURRENT to a different secret version. It cannot be removed completely.',
        );
      removeStage(source, stage); // U4
    }
    this.changed(secret);
    return { ARN: secret.arn, Name: secret.name };
  }

  listSecretVersionIds(body: Record<string, unknown>): Output {
    const input = new Input(body);
    return listSecretVersionIds(input, () => this.require(input));
  }

  listSecrets(body: Record<string, unknown>): Output {
    return listSecrets(this.all(), new Input(body));
  }

  tagResource(body: Record<string, unknown>): Output {
    const input = new Input(body);
    const tags = input.tags() ?? [];
    if (!input.has('Tags')) throw validation('tags', 'Member must not be null');
    const secret = this.requireActive(input); // T2
    const merged = [...(secret.tags ?? [])];
    for (const tag of tags) {
      const index = merged.findIndex((existing) => existing.Key === tag.Key);
      if (index >= 0) merged[index] = tag;
      else merged.push(tag);
    }
    if (merged.length > 50)
      throw invalidParameter(
        `A secret can have at most 50 tags; this request would give ${secret.name} ${merged.length}.`,
      );
    secret.tags = merged;
    this.changed(secret);
    return {};
  }

  untagResource(body: Record<string, unknown>): Output {
    const input = new Input(body);
    const keys = input.stringList('TagKeys', { item: { min: 1, max: 128 } });
    if (keys === undefined) throw validation('tagKeys', 'Member must not be null');
    const secret = this.requireActive(input); // T2
    secret.tags = (secret.tags ?? []).filter((tag) => !keys.includes(tag.Key));
    this.changed(secret);
    return {};
  }

  deleteSecret(body: Record<string, unknown>): Output {
    const input = new Input(body);
    const secretId = input.secretId();
    const window = input.integer('RecoveryWindowInDays');
    const force = input.boolean('ForceDeleteWithoutRecovery') ?? false;
    if (window !== undefined && force) {
      throw invalidParameter(
        "You can't use ForceDeleteWithoutRecovery in conjunction with RecoveryWindowInDays.",
      );
    }
    if (window !== undefined && (window < 7 || window > 30)) {
      throw invalidParameter('The RecoveryWindowInDays value must be between 7 and 30 days (inclusive).');
    }
    const now = this.clock();
    const secret = this.find(secretId);
    if (!secret) {
      if (!force) throw notFound();
      // DL7: forcing the deletion of a missing secret is not an error.
      return secretId.startsWith('arn:')
        ? { ARN: secretId, DeletionDate: seconds(now) }
        : { Name: secretId, DeletionDate: seconds(now) };
    }
    if (force) {
      this.secrets.delete(secret.arn);
      this.changed();
      return { ARN: secret.arn, Name: secret.name, DeletionDate: seconds(now) };
    }
    if (secret.deletionMs !== undefined) {
      throw invalidRequest(
        `You can't delete secret ${secret.arn} because it is already scheduled for deletion.`,
      );
    }
    secret.deletionMs = now + (window ?? 30) * DAY_MS;
    this.changed(secret);
    return { ARN: secret.arn, Name: secret.name, DeletionDate: seconds(secret.deletionMs) };
  }

  restoreSecret(body: Record<string, unknown>): Output {
    const secret = this.require(new Input(body));
    delete secret.deletionMs;
    this.changed(secret);
    return { ARN: secret.arn, Name: secret.name };
  }

  // ---- rotation state (used by rotation.ts) -------------------------------------------

  /** Hand rotation code mutable access to a secret under the store's rules. */
  mutate<T>(secretId: string, change: (secret: SecretRecord, helpers: RotationHelpers) => T): T {
    const secret = this.find(secretId);
    if (!secret) throw notFound();
    const result = change(secret, {
      now: this.clock(),
      addVersion: (versionId, value, stages) => this.addVersion(secret, versionId, value, stages),
      requireActive: () => {
        if (secret.deletionMs !== undefined) throw invalidRequest(MARKED_FOR_DELETION);
      },
    });
    this.changed(secret);
    return result;
  }

  /** Put a whole record in place of the secret of that name (replication, MR2). */
  replace(record: SecretRecord): void {
    for (const [arn, secret] of this.secrets) if (secret.name === record.name) this.secrets.delete(arn);
    this.secrets.set(record.arn, record);
    this.changed();
  }

  /** A value copy for RotateImmediately=false (R7). */
  static valueOf(version: VersionRecord): SecretValue {
    return compact({ secretString: version.secretString, secretBinary: version.secretBinary });
  }
}

export interface RotationHelpers {
  readonly now: number;
  addVersion(versionId: string, value: SecretValue | undefined, stages: string[]): VersionRecord;
  requireActive(): void;
}
