import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { ChaosReport } from './chaos-report.ts';
import { hashSeed } from './prng.ts';
import { runSchedule, type EmulatorLike } from './run-schedule.ts';
import type { ChaosTarget } from './targets/chaos-target.ts';

export interface ChaosRunOptions {
  readonly schedules: number;
  readonly seed: number;
  readonly targets: readonly ChaosTarget[];
  readonly emulator: EmulatorLike;
  readonly client: SecretsManagerClient;
  /** Schedules in flight at once (each on its own secret and target user). Default 2. */
  readonly concurrency?: number;
  readonly stepTimeoutMs?: number;
  /** Stop starting new schedules after this many milliseconds (bounded runs). */
  readonly deadlineMs?: number;
  readonly onProgress?: (report: ChaosReport) => void;
}

/** The seed of schedule `index` in a run: replayable alone with `--replay`. */
export function scheduleSeed(runSeed: number, index: number): number {
  return hashSeed(`${runSeed}:${index}`);
}

/** Run `schedules` schedules spread round-robin over the targets. */
export async function runChaos(options: ChaosRunOptions): Promise<ChaosReport> {
  const report = new ChaosReport();
  const started = Date.now();
  let next = 0;
  const locks = new Map<string, Promise<unknown>>();
  const worker = async (): Promise<void> => {
    while (next < options.schedules) {
      if (options.deadlineMs !== undefined && Date.now() - started > options.deadlineMs) return;
      const index = next;
      next += 1;
      const target = options.targets[index % options.targets.length] as ChaosTarget;
      const seed = scheduleSeed(options.seed, index);
      // A server-wide credential (requirepass) allows one schedule at a time on its server.
      let release: () => void = () => undefined;
      if (target.exclusive) {
        const before = locks.get(target.name) ?? Promise.resolve();
        const mine = new Promise<void>((resolve) => {
          release = resolve;
        });
        locks.set(target.name, before.then(() => mine));
        await before;
      }
      try {
        report.add(
          await runSchedule({
            seed,
            target,
            emulator: options.emulator,
            client: options.client,
            ...(options.stepTimeoutMs !== undefined ? { stepTimeoutMs: options.stepTimeoutMs } : {}),
          }),
        );
      } catch (error) {
        report.crash(seed, target.name, error);
      } finally {
        release();
      }
      options.onProgress?.(report);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, options.concurrency ?? 2) }, () => worker()));
  return report;
}
