import { ROTATION_MODE_EMERGENCY, ROTATION_MODE_TAG, Stage, type KindName, type Step } from './constants.ts';
import { versionWithStage, type VersionIdsToStages } from './secrets-port.ts';

/**
 * What a rotation function records on the secret, so a person (and the CLI) can see a
 * rotation's progress with nothing but DescribeSecret, against AWS and the emulator alike.
 *
 * Two records, both free of secret values:
 *
 * - The emergency intent, bound to one rotation: createSecret decides once whether its
 *   rotation is an emergency (the RotationMode=emergency tag at that moment) and, if so,
 *   stores the pending value with the extra staging label EMERGENCY_STAGE beside
 *   AWSPENDING. finishSecret acts on that label, never on the tag at that moment, and
 *   removes the label when the finishing (revoking) work is done. A label on the
 *   AWSCURRENT version is therefore an unfinished emergency; a tag with no labelled version
 *   is a request for the next rotation.
 *
 * - Progress tags, written once at the end of each step (one TagResource call per step,
 *   all keys at once), prefixed PROGRESS_TAG_PREFIX. Keys are valid AWS tag keys and never
 *   start with `aws:`. A field added later (a replica status) is one more key here; readers
 *   ignore keys they do not know.
 */

/** Staging label on the version of an emergency rotation, until its finishing work is done. */
export const EMERGENCY_STAGE = 'RotationEmergency';

export const PROGRESS_TAG_PREFIX = 'RotationProgress:';

/** Every progress tag key. Values are short words, ids, codes, numbers or ISO dates. */
export const ProgressTag = {
  /** ClientRequestToken (version id) of the rotation the step belonged to. */
  token: `${PROGRESS_TAG_PREFIX}Token`,
  /** The step that last ran: createSecret, setSecret, testSecret, finishSecret. */
  step: `${PROGRESS_TAG_PREFIX}Step`,
  /** How it ended: see StepResult. */
  outcome: `${PROGRESS_TAG_PREFIX}Outcome`,
  /** The ERR_* code of a failed step, `none` otherwise. */
  errorCode: `${PROGRESS_TAG_PREFIX}ErrorCode`,
  /** How many times this step of this token has run (1 for the first). */
  attempt: `${PROGRESS_TAG_PREFIX}Attempt`,
  /** When the step ended, ISO 8601 UTC. */
  at: `${PROGRESS_TAG_PREFIX}At`,
  /** The function's kind (jwt, postgres, redis), so tools pick the right credential probe. */
  kind: `${PROGRESS_TAG_PREFIX}Kind`,
  /** The emergency state of this rotation: see EmergencyState. */
  emergency: `${PROGRESS_TAG_PREFIX}Emergency`,
  /** Whether the AWSCURRENT credential still logs in: see CurrentCredential. */
  current: `${PROGRESS_TAG_PREFIX}Current`,
} as const;
export type ProgressTag = (typeof ProgressTag)[keyof typeof ProgressTag];

export const StepResult = {
  done: 'done',
  failed: 'failed',
} as const;
export type StepResult = (typeof StepResult)[keyof typeof StepResult];

export const EmergencyState = {
  /** Not an emergency rotation, and no request waiting. */
  none: 'none',
  /** This rotation is an emergency one (its version carries EMERGENCY_STAGE), not finished yet. */
  inProgress: 'in-progress',
  /** AWSCURRENT moved to an emergency version but the revoking work has not completed. */
  unfinished: 'unfinished',
  /** The emergency rotation finished its revoking work. */
  revoked: 'revoked',
  /** The tag arrived after this rotation's createSecret: it applies to the next rotation. */
  deferred: 'deferred',
} as const;
export type EmergencyState = (typeof EmergencyState)[keyof typeof EmergencyState];

export const CurrentCredential = {
  /** AWSCURRENT logs in (nothing this function did changed that). */
  works: 'works',
  /** setSecret replaced the AWSCURRENT credential on the target (single user): only AWSPENDING logs in until finishSecret. */
  replaced: 'replaced',
  /** A single-user setSecret is changing the credential on the target (recorded before it starts): AWSCURRENT may no longer log in. */
  changing: 'changing',
  /** The function tried AWSCURRENT (and every other stored credential) and none logged in. */
  fails: 'fails',
} as const;
export type CurrentCredential = (typeof CurrentCredential)[keyof typeof CurrentCredential];

/** What one step records. */
export interface StepProgress {
  readonly token: string;
  readonly step: Step;
  readonly outcome: StepResult;
  readonly errorCode?: string;
  readonly attempt: number;
  readonly at: Date;
  readonly kind: KindName;
  readonly emergency: EmergencyState;
  readonly current: CurrentCredential;
}

export function progressTags(progress: StepProgress): Record<string, string> {
  return {
    [ProgressTag.token]: progress.token,
    [ProgressTag.step]: progress.step,
    [ProgressTag.outcome]: progress.outcome,
    [ProgressTag.errorCode]: progress.errorCode ?? 'none',
    [ProgressTag.attempt]: String(progress.attempt),
    [ProgressTag.at]: progress.at.toISOString(),
    [ProgressTag.kind]: progress.kind,
    [ProgressTag.emergency]: progress.emergency,
    [ProgressTag.current]: progress.current,
  };
}

/** The recorded progress, read back from a secret's tags; undefined when the function never wrote any. */
export interface RecordedProgress {
  readonly token: string;
  readonly step: string;
  readonly outcome: string;
  readonly errorCode: string | undefined;
  readonly attempt: number;
  readonly at: Date | undefined;
  readonly kind: string | undefined;
  readonly emergency: string | undefined;
  readonly current: string | undefined;
}

export function readProgress(tags: Readonly<Record<string, string>>): RecordedProgress | undefined {
  const token = tags[ProgressTag.token];
  const step = tags[ProgressTag.step];
  if (token === undefined || step === undefined) return undefined;
  const attempt = Number(tags[ProgressTag.attempt] ?? '1');
  const at = tags[ProgressTag.at] !== undefined ? new Date(tags[ProgressTag.at] as string) : undefined;
  const errorCode = tags[ProgressTag.errorCode];
  return {
    token,
    step,
    outcome: tags[ProgressTag.outcome] ?? 'unknown',
    errorCode: errorCode === undefined || errorCode === 'none' ? undefined : errorCode,
    attempt: Number.isInteger(attempt) && attempt > 0 ? attempt : 1,
    at: at !== undefined && !Number.isNaN(at.getTime()) ? at : undefined,
    kind: tags[ProgressTag.kind],
    emergency: tags[ProgressTag.emergency],
    current: tags[ProgressTag.current],
  };
}

/** The operator asks for an emergency rotation. */
export function emergencyRequested(tags: Readonly<Record<string, string>>): boolean {
  return tags[ROTATION_MODE_TAG] === ROTATION_MODE_EMERGENCY;
}

/** The version carries the emergency intent of its rotation. */
export function isEmergencyVersion(stages: VersionIdsToStages, versionId: string): boolean {
  return stages[versionId]?.includes(EMERGENCY_STAGE) ?? false;
}

/**
 * The emergency state of a secret from its labels and tags alone (what `status` shows):
 * unfinished when AWSCURRENT carries the label, in progress when AWSPENDING does, a request
 * for the next rotation when only the tag is there.
 */
export function emergencyStateOf(
  stages: VersionIdsToStages,
  tags: Readonly<Record<string, string>>,
): { readonly state: EmergencyState | 'requested'; readonly versionId?: string } {
  const labelled = versionWithStage(stages, EMERGENCY_STAGE);
  if (labelled !== undefined) {
    const labels = stages[labelled] ?? [];
    if (labels.includes(Stage.AWSCURRENT)) return { state: EmergencyState.unfinished, versionId: labelled };
    if (labels.includes(Stage.AWSPENDING)) return { state: EmergencyState.inProgress, versionId: labelled };
  }
  const pending = versionWithStage(stages, Stage.AWSPENDING);
  const current = versionWithStage(stages, Stage.AWSCURRENT);
  if (emergencyRequested(tags)) {
    if (pending !== undefined && pending !== current)
      return { state: EmergencyState.deferred, versionId: pending };
    return { state: 'requested' };
  }
  return { state: EmergencyState.none };
}
