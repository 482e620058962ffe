import type { KindName, Step } from './constants.ts';
import type { Log } from './observability.ts';
import type { SecretsPort } from './secrets-port.ts';
import type { Sensitive } from './sensitive.ts';

/**
 * The strategy interface: what differs between kinds of secret. The core (rotator.ts)
 * owns the guard, the labels and finishSecret; a strategy parses its kind's value,
 * makes a new value, applies it to the target and tests it.
 */

/** Where a value came from, for error messages (never the value itself). */
export interface VersionRef {
  readonly versionId: string;
  readonly stage: string;
}

export interface RotationContext {
  readonly secretArn: string;
  readonly secretName: string;
  readonly clientRequestToken: string;
  readonly step: Step;
  /**
   * This rotation is an emergency one: revoke the old credential, no grace period. Decided
   * once, at createSecret of this token (the RotationMode=emergency tag then), and recorded
   * on the pending version (rotation-progress.ts); never the tag as it is at a later step.
   */
  readonly emergency: boolean;
  readonly tags: Readonly<Record<string, string>>;
  readonly logger: Log;
  /** For strategies that read other secrets (an admin secret) or adjust labels. */
  readonly secrets: SecretsPort;
  readonly versionIds: { readonly current: string; readonly pending: string; readonly previous?: string };
  /** The Lambda's remaining time (its context's getRemainingTimeInMillis), when known: bounds a strategy's own waits. */
  readonly remainingMs?: () => number;
}

export interface CreateInput<T> {
  readonly current: T;
  readonly previous: T | undefined;
  readonly context: RotationContext;
}

export interface StepInput<T> {
  readonly current: T;
  readonly pending: T;
  readonly previous: T | undefined;
  readonly context: RotationContext;
}

/** After the label move: `current` is the new value, `previous` the one it replaced. */
export interface FinishInput<T> {
  readonly current: T;
  readonly previous: T | undefined;
  readonly context: RotationContext;
}

/** What a finishing hook did, for the log of an emergency rotation. Identifiers only, never values. */
export interface FinishReport {
  /** Each thing revoked, in words: `AWSPREVIOUS label of version …`, `password of login "app_clone" on db:5432`. */
  readonly revoked: readonly string[];
}

export interface RotationStrategy<T> {
  readonly kind: KindName;
  /** Parse and validate a stored value; throw ERR_SECRET_MALFORMED (or a more precise code) naming the problem. */
  parse(secretString: Sensitive<string>, where: VersionRef): T;
  /** Serialise a value for PutSecretValue, keeping the shape it was read in. */
  serialize(value: T): Sensitive<string>;
  /** Build the pending value from the current one. */
  createPending(input: CreateInput<T>): Promise<T>;
  /** Apply the pending value to the target. Must be idempotent. */
  setSecret(input: StepInput<T>): Promise<void>;
  /** Prove the pending value works. Must not change anything. */
  testSecret(input: StepInput<T>): Promise<void>;
  /**
   * Optional idempotent finishing work after AWSCURRENT moved (revocation, clean-up). An
   * emergency hook reports what it revoked; the core logs exactly that and claims nothing else.
   */
  finishSecret?(input: FinishInput<T>): Promise<FinishReport | void>;
  /**
   * True when a successful setSecret makes the AWSCURRENT credential stop working on the
   * target until finishSecret (a single user changing its own password). The core records
   * it so `status` can tell that AWSCURRENT does not log in. Default: false.
   */
  setReplacesCurrent?(current: T): boolean;
  /**
   * The per-strategy credential probe: does this stored value log in to its target now?
   * Changes nothing. Resolves false only when the target refused the credential; an
   * unreachable target rejects. Absent for kinds with no target to log in to (JWT keys are
   * checked by whoever reads the secret). Used by `rotation repair` before it changes anything.
   */
  logsIn?(value: T): Promise<boolean>;
}
