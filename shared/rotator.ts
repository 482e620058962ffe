import { ROTATION_MODE_EMERGENCY, ROTATION_MODE_TAG, Stage, Step, type KindName } from './constants.ts';
import { ErrorCode, RotationError, asRotationError } from './errors.ts';
import type { RotationEvent } from './event.ts';
import type { Log, RotationMetrics } from './observability.ts';
import { versionWithStage, type SecretDescription, type SecretsPort } from './secrets-port.ts';
import type { Sensitive } from './sensitive.ts';
import type { RotationContext, RotationStrategy, VersionRef } from './strategy.ts';

/** What a step did, for logs and tests. */
export const StepOutcome = {
  /** The step did its work. */
  done: 'done',
  /** The token already holds AWSCURRENT: late or duplicate invocation, nothing to do. */
  alreadyCurrent: 'already-current',
  /** createSecret found the pending value already stored. */
  pendingExists: 'pending-exists',
} as const;
export type StepOutcome = (typeof StepOutcome)[keyof typeof StepOutcome];

export interface RotatorDeps<T> {
  readonly secrets: SecretsPort;
  readonly strategy: RotationStrategy<T>;
  readonly logger: Log;
  readonly metrics?: RotationMetrics;
  readonly now?: () => number;
}

/**
 * The four-step state machine every kind shares. It knows labels and versions, not
 * databases: the strategy does the kind-specific work.
 *
 * Guard (before any step): DescribeSecret; RotationEnabled=false is an error; the token
 * must be a version of the secret; a token already AWSCURRENT succeeds without work; a
 * token not AWSPENDING is an error, reported as a conflict when another version holds
 * AWSPENDING (a concurrent or stale rotation).
 *
 * Emergency rotations (tag RotationMode=emergency) run the strategy's finishing hook
 * after the label move and then remove the tag. Until the tag is gone the finishing work
 * is unfinished, so a re-run finishSecret on an already-current token runs it again.
 */
export class Rotator<T> {
  readonly #secrets: SecretsPort;
  readonly #strategy: RotationStrategy<T>;
  readonly #logger: Log;
  readonly #metrics: RotationMetrics | undefined;
  readonly #now: () => number;

  constructor(deps: RotatorDeps<T>) {
    this.#secrets = deps.secrets;
    this.#strategy = deps.strategy;
    this.#logger = deps.logger;
    this.#metrics = deps.metrics;
    this.#now = deps.now ?? (() => performance.now());
  }

  get kind(): KindName {
    return this.#strategy.kind;
  }

  /** Run one step, with logging and metrics. Errors leave as RotationError, logged once here. */
  async handle(event: RotationEvent): Promise<StepOutcome> {
    const started = this.#now();
    this.#logger.appendKeys({
      secretArn: event.SecretId,
      step: event.Step,
      clientRequestToken: event.ClientRequestToken,
      kind: this.kind,
    });
    try {
      const outcome = await this.#run(event);
      const durationMs = Math.round(this.#now() - started);
      this.#metrics?.stepSucceeded({ kind: this.kind, step: event.Step, durationMs });
      this.#logger.info('Rotation step succeeded', { outcome, durationMs });
      return outcome;
    } catch (thrown) {
      const error = asRotationError(thrown);
      const durationMs = Math.round(this.#now() - started);
      this.#metrics?.stepFailed({ kind: this.kind, step: event.Step, durationMs, errorCode: error.code });
      this.#logger.error('Rotation step failed', {
        errorCode: error.code,
        errorMessage: error.message,
        ...(Object.keys(error.details).length > 0 ? { errorDetails: error.details } : {}),
        ...(error.cause instanceof Error ? { causeName: error.cause.name, ...causeCode(error.cause) } : {}),
        durationMs,
      });
      throw error;
    } finally {
      this.#metrics?.flush();
    }
  }

  async #run(event: RotationEvent): Promise<StepOutcome> {
    const description = await this.#secrets.describeSecret(event.SecretId);
    const arn = description.ARN;
    const token = event.ClientRequestToken;
    if (description.RotationEnabled === false) {
      throw new RotationError(
        ErrorCode.ERR_ROTATION_NOT_ENABLED,
        `Rotation is not enabled for secret ${arn}`,
        { details: { secretArn: arn } },
      );
    }
    const stages = description.VersionIdsToStages[token];
    if (stages === undefined) {
      throw new RotationError(
        ErrorCode.ERR_TOKEN_UNKNOWN,
        `Secret version ${token} has no stage for rotation of secret ${arn}`,
        {
          details: { secretArn: arn, versionId: token },
        },
      );
    }
    const emergency = description.Tags[ROTATION_MODE_TAG] === ROTATION_MODE_EMERGENCY;
    if (stages.includes(Stage.AWSCURRENT)) {
      // Only this token's own unfinished emergency work: when another version holds AWSPENDING,
      // the tag belongs to that newer rotation, and a late finishSecret of this token must not
      // consume it (it would untag and revoke the wrong credential; found by the chaos harness).
      const pendingElsewhere = versionWithStage(description.VersionIdsToStages, Stage.AWSPENDING);
      if (
        event.Step === Step.finishSecret &&
        emergency &&
        (pendingElsewhere === undefined || pendingElsewhere === token)
      ) {
        this.#logger.info('Version already AWSCURRENT; completing unfinished emergency finishing work', {
          versionId: token,
        });
        await this.#finalize(description, event, true);
        return StepOutcome.done;
      }
      this.#logger.info('Version already AWSCURRENT; nothing to do', { versionId: token });
      return StepOutcome.alreadyCurrent;
    }
    if (!stages.includes(Stage.AWSPENDING)) {
      const pendingElsewhere = versionWithStage(description.VersionIdsToStages, Stage.AWSPENDING);
      if (pendingElsewhere !== undefined) {
        throw new RotationError(
          ErrorCode.ERR_ROTATION_CONFLICT,
          `Secret ${arn}: version ${pendingElsewhere} holds AWSPENDING, not ${token}; another rotation is in progress or was abandoned`,
          { details: { secretArn: arn, versionId: token, pendingVersionId: pendingElsewhere } },
        );
      }
      throw new RotationError(
        ErrorCode.ERR_TOKEN_NOT_PENDING,
        `Secret version ${token} is not set as AWSPENDING for rotation of secret ${arn}`,
        {
          details: { secretArn: arn, versionId: token },
        },
      );
    }

    switch (event.Step) {
      case Step.createSecret:
        return this.#createSecret(description, event, emergency);
      case Step.setSecret:
      case Step.testSecret:
        return this.#setOrTest(description, event, emergency);
      case Step.finishSecret:
        return this.#finishSecret(description, event, emergency);
    }
  }

  async #createSecret(
    description: SecretDescription,
    event: RotationEvent,
    emergency: boolean,
  ): Promise<StepOutcome> {
    const arn = description.ARN;
    const token = event.ClientRequestToken;
    const currentId = this.#requireCurrentId(description);
    const current = await this.#load(arn, { versionId: currentId, stage: Stage.AWSCURRENT }, true);
    const existing = await this.#secrets.getSecretValue({
      SecretId: arn,
      VersionId: token,
      VersionStage: Stage.AWSPENDING,
    });
    if (existing !== undefined) {
      // Validate what is there: a malformed pending value cannot be overwritten under the same token.
      this.#parseVersion(existing.SecretString, existing.SecretBinary !== undefined, {
        versionId: token,
        stage: Stage.AWSPENDING,
      });
      this.#logger.info('Pending value already stored; nothing to do', { versionId: token });
      return StepOutcome.pendingExists;
    }
    const previous = await this.#loadOptional(description, Stage.AWSPREVIOUS);
    const context = this.#context(description, event, emergency, currentId);
    const pending = await this.#strategy.createPending({ current, previous, context });
    const serialized = this.#strategy.serialize(pending);
    // Refuse to store a value the next steps could not read.
    this.#strategy.parse(serialized, { versionId: token, stage: Stage.AWSPENDING });
    await this.#secrets.putSecretValue({
      SecretId: arn,
      ClientRequestToken: token,
      SecretString: serialized,
      VersionStages: [Stage.AWSPENDING],
      ...(event.RotationToken ? { RotationToken: event.RotationToken } : {}),
    });
    this.#logger.info('Stored new pending value', { versionId: token, emergency });
    return StepOutcome.done;
  }

  async #setOrTest(
    description: SecretDescription,
    event: RotationEvent,
    emergency: boolean,
  ): Promise<StepOutcome> {
    const arn = description.ARN;
    const token = event.ClientRequestToken;
    const currentId = this.#requireCurrentId(description);
    const current = await this.#load(arn, { versionId: currentId, stage: Stage.AWSCURRENT }, true);
    const pendingVersion = await this.#secrets.getSecretValue({
      SecretId: arn,
      VersionId: token,
      VersionStage: Stage.AWSPENDING,
    });
    if (pendingVersion === undefined) {
      throw new RotationError(
        ErrorCode.ERR_PENDING_MISSING,
        `Secret ${arn} version ${token} has no pending value; createSecret has not stored one`,
        {
          details: { secretArn: arn, versionId: token },
        },
      );
    }
    const pending = this.#parseVersion(
      pendingVersion.SecretString,
      pendingVersion.SecretBinary !== undefined,
      { versionId: token, stage: Stage.AWSPENDING },
    );
    const previous = await this.#loadOptional(description, Stage.AWSPREVIOUS);
    const context = this.#context(description, event, emergency, currentId);
    if (event.Step === Step.setSecret)
      await this.#strategy.setSecret({ current, pending, previous, context });
    else await this.#strategy.testSecret({ current, pending, previous, context });
    return StepOutcome.done;
  }

  async #finishSecret(
    description: SecretDescription,
    event: RotationEvent,
    emergency: boolean,
  ): Promise<StepOutcome> {
    const arn = description.ARN;
    const token = event.ClientRequestToken;
    const currentId = versionWithStage(description.VersionIdsToStages, Stage.AWSCURRENT);
    await this.#secrets.updateSecretVersionStage({
      SecretId: arn,
      VersionStage: Stage.AWSCURRENT,
      MoveToVersionId: token,
      ...(currentId !== undefined ? { RemoveFromVersionId: currentId } : {}),
    });
    this.#logger.info('Moved AWSCURRENT to the new version', {
      versionId: token,
      previousVersionId: currentId,
    });
    await this.#finalize(description, event, emergency);
    this.#metrics?.rotationCompleted(this.kind);
    return StepOutcome.done;
  }

  /** Finishing hook and emergency clean-up, after AWSCURRENT is on the token. Idempotent. */
  async #finalize(description: SecretDescription, event: RotationEvent, emergency: boolean): Promise<void> {
    const arn = description.ARN;
    const token = event.ClientRequestToken;
    if (this.#strategy.finishSecret) {
      const fresh = await this.#secrets.describeSecret(arn);
      const current = await this.#load(arn, { versionId: token, stage: Stage.AWSCURRENT }, true);
      const previous = await this.#loadOptional(fresh, Stage.AWSPREVIOUS);
      const context = this.#context(fresh, event, emergency, token);
      await this.#strategy.finishSecret({ current, previous, context });
    }
    if (emergency) {
      await this.#secrets.untagResource(arn, [ROTATION_MODE_TAG]);
      this.#logger.warn(
        'Emergency rotation complete: the old credential is revoked and every session or token that depended on it is now invalid',
        {
          versionId: token,
        },
      );
    }
  }

  #requireCurrentId(description: SecretDescription): string {
    const currentId = versionWithStage(description.VersionIdsToStages, Stage.AWSCURRENT);
    if (currentId === undefined) {
      throw new RotationError(
        ErrorCode.ERR_CURRENT_MISSING,
        `Secret ${description.ARN} has no AWSCURRENT version`,
        { details: { secretArn: description.ARN } },
      );
    }
    return currentId;
  }

  async #load(arn: string, where: VersionRef, required: true): Promise<T> {
    const version = await this.#secrets.getSecretValue({
      SecretId: arn,
      VersionId: where.versionId,
      VersionStage: where.stage,
    });
    if (version === undefined && required) {
      throw new RotationError(
        ErrorCode.ERR_CURRENT_MISSING,
        `Secret ${arn} has no value for ${where.stage} (version ${where.versionId})`,
        {
          details: { secretArn: arn, versionId: where.versionId, stage: where.stage },
        },
      );
    }
    return this.#parseVersion(version?.SecretString, version?.SecretBinary !== undefined, where);
  }

  /** AWSPREVIOUS is optional: absent or unreadable means "no previous", with a warning. */
  async #loadOptional(description: SecretDescription, stage: string): Promise<T | undefined> {
    const versionId = versionWithStage(description.VersionIdsToStages, stage);
    if (versionId === undefined) return undefined;
    const version = await this.#secrets.getSecretValue({
      SecretId: description.ARN,
      VersionId: versionId,
      VersionStage: stage,
    });
    if (version === undefined) return undefined;
    try {
      return this.#parseVersion(version.SecretString, version.SecretBinary !== undefined, {
        versionId,
        stage,
      });
    } catch (error) {
      const code = error instanceof RotationError ? error.code : ErrorCode.ERR_INTERNAL;
      this.#logger.warn('Ignoring unreadable version', { versionId, stage, errorCode: code });
      return undefined;
    }
  }

  #parseVersion(secretString: Sensitive<string> | undefined, isBinary: boolean, where: VersionRef): T {
    if (isBinary) {
      throw new RotationError(
        ErrorCode.ERR_SECRET_BINARY_UNSUPPORTED,
        `Version ${where.versionId} (${where.stage}) holds SecretBinary; ${this.kind} secrets must be SecretString`,
        {
          details: { versionId: where.versionId, stage: where.stage },
        },
      );
    }
    if (secretString === undefined) {
      throw new RotationError(
        ErrorCode.ERR_SECRET_MALFORMED,
        `Version ${where.versionId} (${where.stage}) has no SecretString`,
        {
          details: { versionId: where.versionId, stage: where.stage },
        },
      );
    }
    return this.#strategy.parse(secretString, where);
  }

  #context(
    description: SecretDescription,
    event: RotationEvent,
    emergency: boolean,
    currentId: string,
  ): RotationContext {
    const previousId = versionWithStage(description.VersionIdsToStages, Stage.AWSPREVIOUS);
    return Object.freeze({
      secretArn: description.ARN,
      secretName: description.Name,
      clientRequestToken: event.ClientRequestToken,
      step: event.Step,
      emergency,
      tags: description.Tags,
      logger: this.#logger,
      secrets: this.#secrets,
      versionIds: Object.freeze({
        current: currentId,
        pending: event.ClientRequestToken,
        ...(previousId !== undefined ? { previous: previousId } : {}),
      }),
    });
  }
}

function causeCode(cause: Error): Record<string, unknown> {
  const code = (cause as { code?: unknown }).code;
  return typeof code === 'string' ? { causeCode: code } : {};
}
