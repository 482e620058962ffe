/**
 * Last-resort teardown. Tests stop what they start in afterAll; this registry makes sure a
 * crashed or forgetful test file still leaves no server running and no temp folder behind
 * when its process exits. Handlers run synchronously on process 'exit', and on SIGTERM,
 * SIGINT and SIGHUP that nobody else listens for (vitest ends its fork workers with a bare
 * SIGTERM, which skips 'exit'): then they run and the signal is re-raised so the process
 * still dies of it. When the process has its own handler (vitest's main process, `npm
 * start`) that handler owns the shutdown and we stay out of its way; 'exit' still runs.
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

function onSignal(signal: NodeJS.Signals): void {
  // Someone else handles this signal: its shutdown (and then 'exit') takes care of us.
  if (process.listenerCount(signal) > 1) return;
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
