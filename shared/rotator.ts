import { ROTATION_MODE_TAG, Stage, Step, type KindName } from './constants.ts';
import { ErrorCode, RotationError, asRotationError } from './errors.ts';
import type { RotationEvent } from './event.ts';
import type { Log, RotationMetrics } from './observability.ts';
import {
  CurrentCredential,
  EMERGENCY_STAGE,
  EmergencyState,
  ProgressTag,
  StepResult,
  emergencyRequested,
  isEmergencyVersion,
  progressTags,
  readProgress,
} from './rotation-progress.ts';
import {
  formatReplicaTag,
  REPLICA_STATUS_TAG,
  ReplicaState,
  replicaRegions,
  unfinishedRegions,
  type RemainingTime,
  type ReplicaGuard,
} from './replicas.ts';
import {
  isVersionExists,
  versionWithStage,
  withCurrentMoved,
  type SecretDescription,
  type SecretsPort,
} from './secrets-port.ts';
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
  /** Wall clock for the progress tags and replica lag. Default Date.now. */
  readonly clock?: () => number;
  /** Replica Regions of multi-Region secrets. Without it, replicas are not checked. */
  readonly replicas?: ReplicaGuard;
}

/** What the invocation knows about its own limits. */
export interface InvocationLimits {
  /** The Lambda context's getRemainingTimeInMillis. */
  readonly remainingMs?: () => number;
}

/** What one invocation learnt, for the progress it records at its end. */
interface StepTrack {
  description?: SecretDescription;
  /** The token passed the guard: this step belongs to the rotation the secret is in. */
  recordable: boolean;
  emergency: boolean;
  /** AWSCURRENT is on the token (finishSecret moved it, or found it moved). */
  currentMoved: boolean;
  emergencyDone: boolean;
  /** setSecret of a strategy that replaces AWSCURRENT's credential on the target (single user). */
  setReplacesCurrent: boolean;
  /** The Lambda's remaining time, which bounds every replica wait. */
  remaining: RemainingTime;
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
 * Emergency intent is bound to the rotation (rotation-progress.ts): createSecret of a token
 * decides once, from the RotationMode=emergency tag, and stores the pending value with the
 * EMERGENCY_STAGE label beside AWSPENDING. Every later step reads the label on its own
 * version, never the tag. finishSecret runs the strategy's finishing hook after the label
 * move, removes the tag, then the label: a label left on AWSCURRENT is unfinished work that
 * a re-run finishSecret of that same token completes. A late step of any other token finds
 * no label on its version and does nothing. A tag that arrives after createSecret is left
 * for the next rotation, and the log says so.
 *
 * Progress: each step that passed the guard ends with one TagResource call recording step,
 * outcome, error code, attempt, time, emergency state and whether AWSCURRENT still logs in
 * (never a value). A failed tag write is a warning; it never changes the step's outcome.
 */
export class Rotator<T> {
  readonly #secrets: SecretsPort;
  readonly #strategy: RotationStrategy<T>;
  readonly #logger: Log;
  readonly #metrics: RotationMetrics | undefined;
  readonly #now: () => number;
  readonly #clock: () => number;
  readonly #replicas: ReplicaGuard | undefined;

  constructor(deps: RotatorDeps<T>) {
    this.#secrets = deps.secrets;
    this.#strategy = deps.strategy;
    this.#logger = deps.logger;
    this.#metrics = deps.metrics;
    this.#now = deps.now ?? (() => performance.now());
    this.#clock = deps.clock ?? (() => Date.now());
    this.#replicas = deps.replicas;
  }

  get kind(): KindName {
    return this.#strategy.kind;
  }

  /** Run one step, with logging and metrics. Errors leave as RotationError, logged once here. */
  async handle(event: RotationEvent, limits: InvocationLimits = {}): Promise<StepOutcome> {
    const started = this.#now();
    this.#logger.appendKeys({
      secretArn: event.SecretId,
      step: event.Step,
      clientRequestToken: event.ClientRequestToken,
      kind: this.kind,
    });
    const track: StepTrack = {
      recordable: false,
      emergency: false,
      currentMoved: false,
      emergencyDone: false,
      setReplacesCurrent: false,
      remaining: limits.remainingMs,
    };
    try {
      const outcome = await this.#run(event, track);
      const durationMs = Math.round(this.#now() - started);
      this.#metrics?.stepSucceeded({ kind: this.kind, step: event.Step, durationMs });
      this.#logger.info('Rotation step succeeded', { outcome, durationMs });
      await this.#recordProgress(event, track, undefined);
      return outcome;
    } catch (thrown) {
      const error = asRotationError(thrown);
      await this.#recordProgress(event, track, error);
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

  async #run(event: RotationEvent, track: StepTrack): Promise<StepOutcome> {
    const description = await this.#secrets.describeSecret(event.SecretId);
    track.description = description;
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
    // The intent this token's rotation recorded at createSecret; never the tag as it is now.
    const emergency = stages.includes(EMERGENCY_STAGE);
    if (stages.includes(Stage.AWSCURRENT)) {
      // Only a version that still carries the emergency label has unfinished finishing work:
      // a late or duplicate finishSecret of any other completed token finds none.
      if (event.Step === Step.finishSecret && emergency) {
        this.#logger.info('Version already AWSCURRENT; completing unfinished emergency finishing work', {
          versionId: token,
        });
        Object.assign(track, { recordable: true, emergency: true, currentMoved: true });
        await this.#finalize(description, event, true, track, this.#clock());
        return StepOutcome.done;
      }
      // A finishSecret whose replicas did not all catch up (recorded on the secret) waits again.
      const lagging = unfinishedRegions(description.Tags[REPLICA_STATUS_TAG], token);
      if (event.Step === Step.finishSecret && lagging !== undefined && lagging.length > 0) {
        this.#logger.info(
          'Version already AWSCURRENT; waiting again for replica Regions that did not hold it',
          {
            versionId: token,
            replicaRegions: lagging.join(','),
          },
        );
        Object.assign(track, { recordable: true, currentMoved: true });
        await this.#awaitReplicas(description, token, this.#clock(), track);
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

    Object.assign(track, { recordable: true, emergency });
    switch (event.Step) {
      case Step.createSecret:
        return this.#createSecret(description, event, track);
      case Step.setSecret:
      case Step.testSecret:
        return this.#setOrTest(description, event, emergency, track);
      case Step.finishSecret:
        return this.#finishSecret(description, event, emergency, track);
    }
  }

  /**
   * Put first: the pending value is made and stored without reading the token's version
   * beforehand. A version's value cannot change once stored, so PutSecretValue under the
   * token either fills the rotation's empty AWSPENDING version (the usual case: one read
   * saved), succeeds without change for the same value (a retried request), or fails with
   * ResourceExistsException because an earlier attempt stored a value: only then is that
   * value read, validated and kept (`pending-exists`), its emergency label as it was stored.
   * When making the value fails (a target down on a retried createSecret), an already
   * stored value still makes the step succeed, as it did before put-first.
   */
  async #createSecret(
    description: SecretDescription,
    event: RotationEvent,
    track: StepTrack,
  ): Promise<StepOutcome> {
    const arn = description.ARN;
    const token = event.ClientRequestToken;
    const currentId = this.#requireCurrentId(description);
    const current = await this.#load(arn, { versionId: currentId, stage: Stage.AWSCURRENT }, true);
    // The intent a value stored by an earlier attempt carries (its label, read by the guard).
    const storedEmergency = track.emergency;
    // The one moment this rotation's emergency intent is decided.
    const emergency = emergencyRequested(description.Tags);
    track.emergency = emergency;
    let serialized: Sensitive<string>;
    try {
      const previous = await this.#loadOptional(description, Stage.AWSPREVIOUS);
      const context = this.#context(description, event, emergency, currentId, track.remaining);
      const pending = await this.#strategy.createPending({ current, previous, context });
      serialized = this.#strategy.serialize(pending);
      // Refuse to store a value the next steps could not read.
      this.#strategy.parse(serialized, { versionId: token, stage: Stage.AWSPENDING });
    } catch (error) {
      if (await this.#pendingStored(arn, token, description, track, storedEmergency))
        return StepOutcome.pendingExists;
      throw error;
    }
    try {
      await this.#secrets.putSecretValue({
        SecretId: arn,
        ClientRequestToken: token,
        SecretString: serialized,
        VersionStages: emergency ? [Stage.AWSPENDING, EMERGENCY_STAGE] : [Stage.AWSPENDING],
        ...(event.RotationToken ? { RotationToken: event.RotationToken } : {}),
      });
    } catch (error) {
      if (
        isVersionExists(error) &&
        (await this.#pendingStored(arn, token, description, track, storedEmergency))
      )
        return StepOutcome.pendingExists;
      throw error;
    }
    // Said once this attempt's value is stored: a retry that finds an earlier one keeps that one's intent.
    if (emergency) this.#logEmergencyDecided(description, token, currentId);
    this.#logger.info('Stored new pending value', { versionId: token, emergency });
    return StepOutcome.done;
  }

  /** Whether an earlier attempt stored the token's pending value; a malformed one is an error (it cannot be replaced). */
  async #pendingStored(
    arn: string,
    token: string,
    description: SecretDescription,
    track: StepTrack,
    storedEmergency: boolean,
  ): Promise<boolean> {
    const existing = await this.#secrets.getSecretValue({
      SecretId: arn,
      VersionId: token,
      VersionStage: Stage.AWSPENDING,
    });
    if (existing === undefined) return false;
    this.#parseVersion(existing.SecretString, existing.SecretBinary !== undefined, {
      versionId: token,
      stage: Stage.AWSPENDING,
    });
    // The intent stays what the earlier attempt stored, never the tag as it is now.
    track.emergency = storedEmergency;
    this.#logger.info('Pending value already stored; nothing to do', {
      versionId: token,
      emergency: track.emergency,
    });
    if (!track.emergency && emergencyRequested(description.Tags)) this.#logDeferredEmergency(token);
    return true;
  }

  async #setOrTest(
    description: SecretDescription,
    event: RotationEvent,
    emergency: boolean,
    track: StepTrack,
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
    const context = this.#context(description, event, emergency, currentId, track.remaining);
    if (event.Step === Step.setSecret) {
      track.setReplacesCurrent = this.#strategy.setReplacesCurrent?.(current) ?? false;
      // The replicas serve AWSCURRENT: they must be healthy and up to date before it stops working.
      if (track.setReplacesCurrent)
        await this.#replicas?.requireInSync(description, Step.setSecret, track.remaining);
      // Before a cut-over touches the target, say that AWSCURRENT may stop logging in: if this
      // write fails the target is left alone, so `status` never calls a replaced credential healthy.
      if (track.setReplacesCurrent)
        await this.#secrets.tagResource(arn, { [ProgressTag.current]: CurrentCredential.changing });
      await this.#strategy.setSecret({ current, pending, previous, context });
    } else await this.#strategy.testSecret({ current, pending, previous, context });
    return StepOutcome.done;
  }

  async #finishSecret(
    description: SecretDescription,
    event: RotationEvent,
    emergency: boolean,
    track: StepTrack,
  ): Promise<StepOutcome> {
    const arn = description.ARN;
    const token = event.ClientRequestToken;
    const currentId = versionWithStage(description.VersionIdsToStages, Stage.AWSCURRENT);
    // An emergency revokes the credential the replicas serve: they must be healthy first.
    if (emergency)
      await this.#replicas?.requireInSync(description, 'emergency finishing work', track.remaining);
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
    track.currentMoved = true;
    await this.#finalize(description, event, emergency, track, this.#clock());
    this.#metrics?.rotationCompleted(this.kind);
    return StepOutcome.done;
  }

  /**
   * Finishing hook and emergency clean-up, after AWSCURRENT is on the token. Idempotent.
   * The emergency label goes last: until it is gone the work counts as unfinished.
   */
  async #finalize(
    description: SecretDescription,
    event: RotationEvent,
    emergency: boolean,
    track: StepTrack,
    movedAtMs: number,
  ): Promise<void> {
    const arn = description.ARN;
    const token = event.ClientRequestToken;
    // An emergency revokes only once every replica serves the new credential; until then the
    // label stays, so a re-run finishSecret waits again and then revokes.
    if (emergency) await this.#awaitReplicas(description, token, movedAtMs, track);
    let revoked: readonly string[] = [];
    if (this.#strategy.finishSecret) {
      const fresh = withCurrentMoved(description, token); // the labels after our own move: no re-read
      const current = await this.#load(arn, { versionId: token, stage: Stage.AWSCURRENT }, true);
      const previous = await this.#loadOptional(fresh, Stage.AWSPREVIOUS);
      const context = this.#context(fresh, event, emergency, token, track.remaining);
      const report = await this.#strategy.finishSecret({ current, previous, context });
      revoked = report?.revoked ?? [];
    }
    if (!emergency) {
      if (emergencyRequested(description.Tags)) this.#logDeferredEmergency(token);
      // The old credential keeps working: the finishing work did not wait for the replicas.
      await this.#awaitReplicas(description, token, movedAtMs, track);
      return;
    }
    if (emergencyRequested(description.Tags)) await this.#secrets.untagResource(arn, [ROTATION_MODE_TAG]);
    await this.#secrets.updateSecretVersionStage({
      SecretId: arn,
      VersionStage: EMERGENCY_STAGE,
      RemoveFromVersionId: token,
    });
    track.emergencyDone = true;
    if (revoked.length > 0) {
      this.#logger.warn('Emergency rotation complete: revoked the old credential', {
        versionId: token,
        revoked: [...revoked],
      });
    } else {
      this.#logger.warn('Emergency rotation complete; the strategy reported nothing to revoke', {
        versionId: token,
      });
    }
  }

  /**
   * After the label move: wait for every replica Region to hold `token` as AWSCURRENT,
   * record the lag per Region on the secret (tag RotationReplicas), and fail with
   * ERR_REPLICA_LAGGING naming the Regions that did not, leaving the rotation visibly
   * unfinished; the primary is not undone. A re-run finishSecret waits again.
   */
  async #awaitReplicas(
    description: SecretDescription,
    token: string,
    movedAtMs: number,
    track: StepTrack,
  ): Promise<void> {
    if (!this.#replicas || replicaRegions(description).length === 0) return;
    const arn = description.ARN;
    const reports = await this.#replicas.waitForCatchUp(description, token, movedAtMs, track.remaining);
    if (reports.length === 0) return;
    try {
      await this.#secrets.tagResource(arn, { [REPLICA_STATUS_TAG]: formatReplicaTag(token, reports) });
    } catch (thrown) {
      this.#logger.warn('Could not record replica status on the secret (TagResource)', {
        errorCode: asRotationError(thrown).code,
        tag: REPLICA_STATUS_TAG,
      });
    }
    for (const report of reports)
      this.#logger.info('Replica Region status', {
        versionId: token,
        replicaRegion: report.region,
        replicaState: report.state,
        ...(report.lagMs !== undefined ? { replicaLagMs: report.lagMs } : {}),
        ...(report.reason !== undefined ? { replicaReason: report.reason } : {}),
      });
    const lagging = reports.filter((report) => report.state !== ReplicaState.holds);
    if (lagging.length === 0) return;
    throw new RotationError(
      ErrorCode.ERR_REPLICA_LAGGING,
      `Secret ${arn}: AWSCURRENT is version ${token} in the primary Region, but ${lagging
        .map((report) => `${report.region} (${report.state}${report.reason ? `: ${report.reason}` : ''})`)
        .join(
          ', ',
        )} does not hold it yet; the rotation is unfinished there. Running finishSecret again waits again`,
      {
        details: {
          secretArn: arn,
          versionId: token,
          regions: lagging.map((report) => report.region).join(', '),
        },
      },
    );
  }

  /**
   * Any rotation that starts while the tag is set is an emergency one (a scheduled one too):
   * say so where it is decided, and name the unfinished emergency it takes over, if any.
   */
  #logEmergencyDecided(description: SecretDescription, token: string, currentId: string): void {
    const unfinished = isEmergencyVersion(description.VersionIdsToStages, currentId);
    this.#logger.warn(
      'RotationMode=emergency is set: this rotation is an emergency one; its finishSecret revokes the old credential',
      { versionId: token, ...(unfinished ? { unfinishedEmergencyVersionId: currentId } : {}) },
    );
  }

  #logDeferredEmergency(token: string): void {
    this.#logger.warn(
      'RotationMode=emergency was set after this rotation began (its createSecret ran without ' +
        'it); the tag is left in place and applies to the next rotation',
      { versionId: token },
    );
  }

  /** One TagResource call with this step's progress; only for steps of the rotation the secret is in. */
  async #recordProgress(
    event: RotationEvent,
    track: StepTrack,
    error: RotationError | undefined,
  ): Promise<void> {
    const description = track.description;
    if (description === undefined || !track.recordable) return;
    const token = event.ClientRequestToken;
    const recorded = readProgress(description.Tags);
    const sameStep = recorded?.token === token && recorded.step === event.Step;
    // Current is a fact about AWSCURRENT, carried over on its own: it may have been written alone
    // (before a cut-over) while no full step record landed.
    let current = description.Tags[ProgressTag.current] ?? CurrentCredential.works;
    if (event.Step === Step.setSecret && track.setReplacesCurrent)
      current = error === undefined ? CurrentCredential.replaced : CurrentCredential.changing;
    if (error?.code === ErrorCode.ERR_NO_WORKING_CREDENTIAL) current = CurrentCredential.fails;
    if (error === undefined && event.Step === Step.finishSecret) current = CurrentCredential.works;
    const emergency = track.emergencyDone
      ? EmergencyState.revoked
      : track.emergency
        ? track.currentMoved
          ? EmergencyState.unfinished
          : EmergencyState.inProgress
        : emergencyRequested(description.Tags)
          ? EmergencyState.deferred
          : EmergencyState.none;
    try {
      await this.#secrets.tagResource(
        description.ARN,
        progressTags({
          token,
          step: event.Step,
          outcome: error === undefined ? StepResult.done : StepResult.failed,
          ...(error !== undefined ? { errorCode: error.code } : {}),
          attempt: sameStep ? recorded.attempt + 1 : 1,
          at: new Date(this.#clock()),
          kind: this.kind,
          emergency,
          current: current as CurrentCredential,
        }),
      );
    } catch (thrown) {
      this.#logger.warn('Could not record rotation progress on the secret (TagResource)', {
        errorCode: asRotationError(thrown).code,
      });
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
    remaining: RemainingTime,
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
      ...(remaining !== undefined ? { remainingMs: remaining } : {}),
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
