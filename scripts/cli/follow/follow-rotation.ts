import {
  Phase,
  isDone,
  type ProgressSource,
  type RotationSnapshot,
  type RotationTarget,
} from './rotation-snapshot.ts';

export interface FollowOptions {
  readonly timeoutMs: number;
  readonly intervalMs: number;
  readonly now: () => number;
  readonly sleep: (ms: number) => Promise<void>;
  readonly signal?: AbortSignal;
  /** Called whenever the snapshot changes (new step, new finished step, new attempt, done). */
  readonly onChange?: (snapshot: RotationSnapshot) => void;
}

export interface FollowResult {
  readonly snapshot: RotationSnapshot;
  readonly timedOut: boolean;
  readonly elapsedMs: number;
}

/** Poll `source` until the rotation ends or `timeoutMs` passes. A timeout is reported as failed at the last step seen. */
export async function followRotation(
  source: ProgressSource,
  target: RotationTarget,
  options: FollowOptions,
): Promise<FollowResult> {
  let last: RotationSnapshot | undefined;
  let lastKey = '';
  const deadline = target.startedAtMs + options.timeoutMs;
  for (;;) {
    const snapshot = await source.snapshot(target, options.signal);
    const key = `${snapshot.phase}|${snapshot.step ?? ''}|${snapshot.steps.length}|${snapshot.attempts ?? ''}`;
    if (key !== lastKey) {
      lastKey = key;
      options.onChange?.(snapshot);
    }
    last = snapshot;
    if (isDone(snapshot)) return { snapshot, timedOut: false, elapsedMs: options.now() - target.startedAtMs };
    if (options.signal?.aborted) throw options.signal.reason ?? new Error('aborted');
    if (options.now() >= deadline) {
      const step = last.step ?? 'createSecret';
      return {
        snapshot: {
          ...last,
          phase: Phase.failed,
          failedStep: step,
          error: {
            name: 'FollowTimeout',
            message: `no outcome after ${Math.round(options.timeoutMs / 1000)} s; last seen at ${step} (the rotation may still finish or be retried)`,
          },
        },
        timedOut: true,
        elapsedMs: options.now() - target.startedAtMs,
      };
    }
    await options.sleep(options.intervalMs);
  }
}
