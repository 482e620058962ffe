/**
 * Last-resort teardown. Tests stop what they start in afterAll; this registry makes sure a
 * crashed or forgetful test file still leaves no server running and no temp folder behind
 * when its process exits. Handlers run synchronously inside process 'exit'.
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

/** Register a synchronous handler to run at process exit. Returns a function that unregisters it. */
export function onProcessExit(handler: ExitHandler): () => void {
  if (!installed) {
    installed = true;
    process.once('exit', runAll);
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
