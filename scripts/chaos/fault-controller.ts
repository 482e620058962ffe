import type { Rng } from './prng.ts';

/** The ways an injected call can go wrong. */
export const FaultKind = {
  /** The call fails before it reaches the system: nothing changed. */
  failBefore: 'fail-before',
  /** The call took effect, then the caller sees an error (lost response, timeout after commit). */
  failAfter: 'fail-after',
  /** The call hangs past its client timeout, then rejects without effect. */
  hangReject: 'hang-reject',
  /** The call never settles: the step's own timeout (the Lambda timeout) has to end it. */
  hangForever: 'hang-forever',
  /** The system refuses with an AWS-style ThrottlingException before doing anything. */
  throttle: 'throttle',
} as const;
export type FaultKind = (typeof FaultKind)[keyof typeof FaultKind];
export const FAULT_KINDS: readonly FaultKind[] = Object.freeze(Object.values(FaultKind));

/** A fault pinned to the nth call (1-based) of one injection point, for exhaustive and replay runs. */
export interface PinnedFault {
  readonly point: string;
  readonly nth: number;
  readonly kind: FaultKind;
}

export interface FaultPlan {
  /** Chance that any one call gets a random fault while faults are on. 0 disables random faults. */
  readonly probability: number;
  /** The kinds random faults are drawn from. Default: all. */
  readonly kinds?: readonly FaultKind[];
  /** Points that never get random faults (e.g. ones the schedule observes through). */
  readonly exclude?: readonly string[];
  readonly pinned?: readonly PinnedFault[];
  /** How long a hang-reject fault waits before rejecting. Default 30 ms. */
  readonly hangMs?: number;
}

/**
 * Decides, call by call, whether an injection point fails and how. It counts every call
 * per point (hits), every fault injected, and writes a trace line per fault so a
 * violation can be replayed and explained.
 */
export class FaultController {
  /** Faults (random and pinned) are injected only while this is true (the runner turns it off to prove completion). */
  enabled = true;
  readonly calls = new Map<string, number>();
  readonly faults = new Map<string, number>();
  readonly trace: string[];
  readonly hangMs: number;
  readonly #rng: Rng | undefined;
  readonly #plan: FaultPlan;
  readonly #kinds: readonly FaultKind[];

  constructor(plan: FaultPlan, rng?: Rng, trace: string[] = []) {
    this.#plan = plan;
    this.#rng = rng;
    this.#kinds = plan.kinds && plan.kinds.length > 0 ? plan.kinds : FAULT_KINDS;
    this.trace = trace;
    this.hangMs = plan.hangMs ?? 30;
  }

  /** Called by the injector before every call; returns the fault to inject, if any. */
  decide(point: string): FaultKind | undefined {
    const nth = (this.calls.get(point) ?? 0) + 1;
    this.calls.set(point, nth);
    // Pinned faults, like random ones, stop when the runner turns faults off to prove completion.
    const pinned = this.enabled
      ? this.#plan.pinned?.find((fault) => fault.point === point && fault.nth === nth)
      : undefined;
    let kind: FaultKind | undefined = pinned?.kind;
    if (
      kind === undefined &&
      this.enabled &&
      this.#rng &&
      this.#plan.probability > 0 &&
      !this.#plan.exclude?.includes(point)
    ) {
      // Always draw twice so the sequence does not depend on which branch ran.
      const roll = this.#rng.next();
      const which = this.#rng.pick(this.#kinds);
      if (roll < this.#plan.probability) kind = which;
    }
    if (kind !== undefined) {
      const key = `${point}:${kind}`;
      this.faults.set(key, (this.faults.get(key) ?? 0) + 1);
      this.trace.push(`  fault ${kind} at ${point} (call ${nth})`);
    }
    return kind;
  }

  get totalCalls(): number {
    let total = 0;
    for (const count of this.calls.values()) total += count;
    return total;
  }

  get totalFaults(): number {
    let total = 0;
    for (const count of this.faults.values()) total += count;
    return total;
  }
}
