import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { ChaosReport } from './chaos-report.ts';
import { LeakDetector } from './leak-detector.ts';
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
  /**
   * At the end, scan the targets' server logs (PostgreSQL log_statement = 'all') for every
   * value of every schedule. Default: only for runs of at most 500 schedules (the scan is
   * values x log size).
   */
  readonly scanServerLogs?: boolean;
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
  const scanServerLogs = options.scanServerLogs ?? options.schedules <= 500;
  const runLeaks = scanServerLogs ? new LeakDetector() : undefined;
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
        locks.set(
          target.name,
          before.then(() => mine),
        );
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
            ...(runLeaks ? { runLeaks } : {}),
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
  if (runLeaks) {
    const seen = new Set<string>();
    let scanned = 0;
    for (const target of options.targets) {
      for (const { source, text } of (await target.capturedTexts?.()) ?? []) {
        if (seen.has(source)) continue;
        seen.add(source);
        scanned += 1;
        report.serverLogLeaks.push(...runLeaks.scan(source, text));
      }
    }
    report.serverLogScan = `${scanned} log(s) against ${runLeaks.size} values`;
  } else {
    report.serverLogScan =
      'skipped (run longer than 500 schedules; the leak canary test covers the server log)';
  }
  return report;
}
