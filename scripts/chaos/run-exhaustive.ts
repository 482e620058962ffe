import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { ChaosReport } from './chaos-report.ts';
import { FaultKind } from './fault-controller.ts';
import { runSchedule, type EmulatorLike } from './run-schedule.ts';
import type { ChaosTarget } from './targets/chaos-target.ts';

export interface ExhaustiveOptions {
  readonly target: ChaosTarget;
  readonly seed: number;
  readonly emulator: EmulatorLike;
  readonly client: SecretsManagerClient;
  /** Default: fail-before, fail-after and hang-forever (throttle and hang-reject behave like fail-before). */
  readonly kinds?: readonly FaultKind[];
  readonly stepTimeoutMs?: number;
  readonly onProgress?: (report: ChaosReport) => void;
}

/**
 * Systematic rather than random: run the schedule of `seed` once without faults to learn
 * every injection point and how often it is called, then once per (point, nth call,
 * fault kind) with exactly that one fault. Every call the functions make is failed in
 * every way, one at a time, and every run must keep every invariant.
 */
export async function runExhaustive(options: ExhaustiveOptions): Promise<ChaosReport> {
  const report = new ChaosReport();
  const kinds = options.kinds ?? [FaultKind.failBefore, FaultKind.failAfter, FaultKind.hangForever];
  const common = {
    seed: options.seed,
    target: options.target,
    emulator: options.emulator,
    client: options.client,
    probability: 0,
    ...(options.stepTimeoutMs !== undefined ? { stepTimeoutMs: options.stepTimeoutMs } : {}),
  };
  const base = await runSchedule(common);
  report.add(base);
  for (const [point, count] of [...base.calls].sort()) {
    for (let nth = 1; nth <= count; nth += 1) {
      for (const kind of kinds) {
        try {
          report.add(await runSchedule({ ...common, pinned: [{ point, nth, kind }] }));
        } catch (error) {
          report.crash(options.seed, `${options.target.name} (${kind} at ${point} call ${nth})`, error);
        }
        options.onProgress?.(report);
      }
    }
  }
  return report;
}
