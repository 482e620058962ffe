import type { StepError, StepReport } from '../follow/rotation-snapshot.ts';
import type { ReplicaRow } from '../replica-status.ts';

export const RotateOutcome = {
  succeeded: 'succeeded',
  /** The rotation ran and failed, or gave no outcome before the timeout. */
  failed: 'failed',
  /** Not started: the function recorded that AWSCURRENT does not log in (see the hint). */
  refused: 'refused',
  /** --no-wait: RotateSecret accepted, not followed. */
  started: 'started',
  /** An AWS call failed (RotateSecret refused, secret unknown, no permission). */
  error: 'error',
} as const;
export type RotateOutcome = (typeof RotateOutcome)[keyof typeof RotateOutcome];

export interface RotateResult {
  readonly secretId: string;
  readonly name: string;
  readonly arn?: string;
  readonly versionId?: string;
  readonly outcome: RotateOutcome;
  /** --emergency was asked. */
  readonly emergency: boolean;
  /** What the function recorded (RotationProgress:Emergency): revoked, deferred, unfinished, none... */
  readonly emergencyState?: string;
  readonly failedStep?: string;
  readonly error?: StepError;
  readonly attempts?: number;
  readonly steps: readonly StepReport[];
  readonly timedOut?: boolean;
  readonly durationMs: number;
  /** What to do next, for people. */
  readonly hint?: string;
  /** On failure or timeout: the function's log group and the command that tails it. */
  readonly logs?: { readonly logGroup: string; readonly tailCommand: string };
  /** A replicated secret: each replica Region once the rotation ended, read in that Region. */
  readonly replicas?: readonly ReplicaRow[];
}
