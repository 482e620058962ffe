/**
 * What the CLI knows about one rotation while following it. Two sources fill it in: what
 * Secrets Manager offers everywhere (the function's RotationProgress:* tags and the labels,
 * tag-progress.ts), and, against the emulator only, its rotation records, which add what
 * AWS keeps in CloudWatch Logs and the service's retries (messages, durations, the outcome
 * after the last retry).
 */

export interface StepError {
  readonly name: string;
  readonly code?: string;
  readonly message: string;
}

export interface StepReport {
  readonly step: string;
  readonly ok: boolean;
  /** Whole-rotation attempt this step ran in, 1 for the first (poll mode: as far as the polls saw). */
  readonly attempt?: number;
  readonly durationMs?: number;
  readonly error?: StepError;
}

export const Phase = {
  starting: 'starting',
  running: 'running',
  succeeded: 'succeeded',
  failed: 'failed',
} as const;
export type Phase = (typeof Phase)[keyof typeof Phase];

export interface RotationSnapshot {
  readonly phase: Phase;
  /** The step running now (or the last one seen). Poll mode may say "setSecret/testSecret". */
  readonly step?: string;
  /** Finished steps, oldest first (every attempt's in emulator mode; from the progress tags in poll mode). */
  readonly steps: readonly StepReport[];
  readonly attempts?: number;
  /** When failed: the step that failed and why. */
  readonly failedStep?: string;
  readonly error?: StepError;
}

/** The rotation being followed: RotateSecret's answer plus when it was asked. */
export interface RotationTarget {
  readonly secretId: string;
  readonly arn: string;
  readonly name: string;
  /** RotateSecret's VersionId: the ClientRequestToken of this rotation. */
  readonly versionId: string;
  readonly startedAtMs: number;
}

export interface ProgressSource {
  readonly mode: 'emulator' | 'poll';
  snapshot(target: RotationTarget, signal?: AbortSignal): Promise<RotationSnapshot>;
}

export function isDone(snapshot: RotationSnapshot): boolean {
  return snapshot.phase === Phase.succeeded || snapshot.phase === Phase.failed;
}

/** A short label for what a snapshot says, for progress lines. */
export function describeSnapshot(snapshot: RotationSnapshot): string {
  switch (snapshot.phase) {
    case Phase.starting:
      return 'waiting for the first step';
    case Phase.running:
      return snapshot.step ?? 'running';
    case Phase.succeeded:
      return 'succeeded';
    case Phase.failed:
      return `failed${snapshot.failedStep ? ` at ${snapshot.failedStep}` : ''}`;
  }
}
