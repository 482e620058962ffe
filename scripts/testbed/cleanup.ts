/**
 * Last-resort teardown. Tests stop what they start in afterAll; this registry makes sure a
 * crashed or forgetful test file still leaves no server running and no temp folder behind
 * when its process exits. Handlers run synchronously on process 'exit', and on SIGTERM,
 * SIGINT and SIGHUP that nobody else listens for (vitest ends its fork workers with a bare
 * SIGTERM, which skips 'exit'): then they run and the signal is re-raised so the process
 * still dies of it. When the process has its own handler (vitest's main process, `npm
 * start`) that handler owns the shutdown and we stay out of its way; 'exit' still runs.
 * signal-exit's listeners (loaded with testcontainers, by its lock library proper-lockfile)
 * are not such a handler: each only acts when it is the last listener left, so counting
 * them as one would leave both sides waiting and the process alive.
 */
import { rmSync } from 'node:fs';

type ExitHandler = () => void;

const handlers = new Set<ExitHandler>();
let installed = false;

function runAll(): void {
  for (const handler of [...handlers].reverse()) {
    try {
      handler();
    } catch {
      // Best effort at exit: one failing handler must not keep the others from running.
    }
  }
  handlers.clear();
}

const SIGNALS = ['SIGTERM', 'SIGINT', 'SIGHUP'] as const;

/**
 * How many of the process's signal listeners belong to signal-exit (v3 keeps its count on
 * `process.__signal_exit_emitter__`, v4 on a global under `Symbol.for('signal-exit emitter')`).
 */
function signalExitListeners(): number {
  const count = (emitter: unknown): number => {
    const value = (emitter as { count?: unknown } | undefined)?.count;
    return typeof value === 'number' ? value : 0;
  };
  const v3 = (process as unknown as { __signal_exit_emitter__?: unknown }).__signal_exit_emitter__;
  const v4 = (globalThis as Record<symbol, unknown>)[Symbol.for('signal-exit emitter')];
  return count(v3) + (v4 === v3 ? 0 : count(v4));
}

function onSignal(signal: NodeJS.Signals): void {
  // Someone else handles this signal: its shutdown (and then 'exit') takes care of us.
  if (process.listenerCount(signal) - signalExitListeners() > 1) return;
  runAll();
  for (const name of SIGNALS) process.off(name, onSignal);
  installed = false;
  process.kill(process.pid, signal);
}

/** Register a synchronous handler to run at process exit. Returns a function that unregisters it. */
export function onProcessExit(handler: ExitHandler): () => void {
  if (!installed) {
    installed = true;
    process.once('exit', runAll);
    for (const signal of SIGNALS) process.on(signal, onSignal);
  }
  handlers.add(handler);
  return () => {
    handlers.delete(handler);
  };
}

/** Send `signal` to `pid` if it is still alive; never throws. */
export function killQuietly(pid: number | undefined, signal: NodeJS.Signals): void {
  if (pid === undefined) return;
  try {
    process.kill(pid, signal);
  } catch {
    // Already gone.
  }
}

/** Remove a folder tree; never throws. */
export function removeQuietly(path: string): void {
  try {
    rmSync(path, { recursive: true, force: true });
  } catch {
    // Nothing more to do at exit.
  }
}
