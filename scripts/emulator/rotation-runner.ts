import { randomUUID } from 'node:crypto';
import type { FunctionRegistry } from './function-registry.ts';
import { InvocationError } from './function-pool.ts';
import type { InvocationErrorInfo } from './lambda-types.ts';
import { abandonRotation, completeRotation, type RotationPlan, type RotationStep } from './rotation-state.ts';
import type { SecretStore } from './store.ts';

export interface StepRecord {
  readonly step: RotationStep;
  readonly attempt: number;
  readonly ok: boolean;
  readonly error?: InvocationErrorInfo;
  readonly durationMs: number;
}

export type RotationOutcome = 'in-progress' | 'succeeded' | 'failed';

/** One RotateSecret call and everything that followed it. */
export interface RotationRecord {
  readonly secretArn: string;
  readonly token: string;
  readonly lambdaArn: string;
  /** false for RotateImmediately=false (testSecret only). */
  readonly immediate: boolean;
  outcome: RotationOutcome;
  /** Whole-rotation attempts made so far (1 + retries used). */
  attempts: number;
  /** The step being invoked while in progress. */
  currentStep?: RotationStep;
  readonly steps: StepRecord[];
  readonly startedAt: string;
  endedAt?: string;
}

export interface RunnerOptions {
  readonly functions: FunctionRegistry;
  readonly storeFor: (region: string) => SecretStore;
  /** Whole-rotation retries after a failed attempt. Default 2 (3 attempts). */
  readonly rotationRetries?: number;
  /** Per-invocation timeout, like a Lambda timeout. Default 30 000 ms. */
  readonly invocationTimeoutMs?: number;
  /** Pause before a retry. Default 0. */
  readonly retryDelayMs?: number;
}

interface InFlight {
  readonly record: RotationRecord;
  readonly done: Promise<RotationRecord>;
  cancelled: boolean;
}

/**
 * RotateSecret's asynchronous half (R8-R11): invoke the function once per step, in
 * order, retry the whole rotation on failure, then let the store finish or leave
 * AWSPENDING in place. Function failures of any kind end up in the record, never in
 * the emulator's own process.
 */
export class RotationRunner {
  readonly history: RotationRecord[] = [];
  private readonly inFlight = new Map<string, InFlight>();

  constructor(private readonly options: RunnerOptions) {}

  start(plan: RotationPlan): RotationRecord {
    const record: RotationRecord = {
      secretArn: plan.secretArn,
      token: plan.token,
      lambdaArn: plan.lambdaArn,
      immediate: plan.immediate,
      outcome: 'in-progress',
      attempts: 0,
      steps: [],
      startedAt: new Date().toISOString(),
    };
    this.history.push(record);
    const entry: InFlight = { record, cancelled: false, done: Promise.resolve(record) };
    (entry as { done: Promise<RotationRecord> }).done = this.run(plan, entry).then(() => {
      this.inFlight.delete(plan.secretArn);
      return record;
    });
    this.inFlight.set(plan.secretArn, entry);
    return record;
  }

  /** X1: stop an in-flight rotation after its current step. */
  cancel(secretArn: string): void {
    const entry = this.inFlight.get(secretArn);
    if (entry) entry.cancelled = true;
  }

  isRunning(secretArn: string): boolean {
    return this.inFlight.has(secretArn);
  }

  /** The in-flight rotation's end, or the last finished record for the secret. */
  wait(secretArn: string): Promise<RotationRecord> | undefined {
    const entry = this.inFlight.get(secretArn);
    if (entry) return entry.done;
    const last = [...this.history].reverse().find((record) => record.secretArn === secretArn);
    return last ? Promise.resolve(last) : undefined;
  }

  /** Cancel every in-flight rotation (used on close). */
  cancelAll(): void {
    for (const entry of this.inFlight.values()) entry.cancelled = true;
  }

  /** Wait up to `maxMs` for in-flight rotations to stop (a hung in-process function cannot be killed). */
  async settle(maxMs: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.allSettled([...this.inFlight.values()].map((entry) => entry.done)),
      new Promise((resolve) => {
        timer = setTimeout(resolve, maxMs);
      }),
    ]);
    clearTimeout(timer);
  }

  private async run(plan: RotationPlan, entry: InFlight): Promise<void> {
    const { record } = entry;
    const store = this.options.storeFor(plan.region);
    const retries = this.options.rotationRetries ?? 2;
    const timeoutMs = this.options.invocationTimeoutMs ?? 30_000;
    try {
      for (let attempt = 1; attempt <= retries + 1; attempt += 1) {
        if (attempt > 1 && (this.options.retryDelayMs ?? 0) > 0)
          await new Promise((ok) => setTimeout(ok, this.options.retryDelayMs));
        record.attempts = attempt;
        const rotationToken = randomUUID();
        let failed = false;
        for (const step of plan.steps) {
          if (entry.cancelled) {
            record.steps.push({
              step,
              attempt,
              ok: false,
              error: {
                name: 'RotationCancelled',
                message: 'The rotation was cancelled (CancelRotateSecret or emulator shutdown)',
              },
              durationMs: 0,
            });
            record.outcome = 'failed';
            return;
          }
          record.currentStep = step;
          const started = performance.now();
          try {
            await this.options.functions.invoke(
              plan.lambdaArn,
              {
                Step: step,
                SecretId: plan.secretArn,
                ClientRequestToken: plan.token,
                RotationToken: rotationToken,
              },
              timeoutMs,
            );
            record.steps.push({
              step,
              attempt,
              ok: true,
              durationMs: Math.round(performance.now() - started),
            });
          } catch (error) {
            const info =
              error instanceof InvocationError ? error.info : { name: 'Error', message: 'Invocation failed' };
            record.steps.push({
              step,
              attempt,
              ok: false,
              error: info,
              durationMs: Math.round(performance.now() - started),
            });
            failed = true;
            break;
          }
        }
        if (!failed) {
          if (completeRotation(store, plan)) {
            record.outcome = 'succeeded';
            return;
          }
          const last = plan.steps[plan.steps.length - 1] as RotationStep;
          record.steps.push({
            step: last,
            attempt,
            ok: false,
            error: {
              name: 'RotationIncomplete',
              message: `${last} returned but version ${plan.token} of ${plan.secretArn} is not AWSCURRENT`,
            },
            durationMs: 0,
          });
        }
      }
      record.outcome = 'failed';
    } finally {
      delete record.currentStep;
      record.endedAt = new Date().toISOString();
      if (record.outcome !== 'succeeded') {
        if (record.outcome === 'in-progress') record.outcome = 'failed';
        try {
          abandonRotation(store, plan);
        } catch {
          // the secret may be gone; nothing to tidy
        }
      }
    }
  }
}
