/** The clock a bounded wait runs on; strategies pass their injected `now`/`sleep`. */
export interface PollClock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

export type PollOutcome<T, L> =
  | { readonly done: true; readonly value: T }
  | { readonly done: false; readonly last: L; readonly polls: number };

/**
 * Check `probe` until it reports done or `timeoutMs` has passed: one check at once, then one
 * every `intervalMs`, never sleeping past the deadline. Resolves with the value, or with the
 * last probe's answer and the number of checks so the caller can fail with its own error.
 */
export async function pollUntil<T, L>(
  clock: PollClock,
  bounds: { readonly timeoutMs: number; readonly intervalMs: number },
  probe: () => Promise<
    { readonly done: true; readonly value: T } | { readonly done: false; readonly last: L }
  >,
): Promise<PollOutcome<T, L>> {
  const deadline = clock.now() + bounds.timeoutMs;
  let polls = 0;
  for (;;) {
    const answer = await probe();
    polls += 1;
    if (answer.done) return answer;
    const remainingMs = deadline - clock.now();
    if (remainingMs <= 0) return { done: false, last: answer.last, polls };
    await clock.sleep(Math.min(bounds.intervalMs, remainingMs));
  }
}
