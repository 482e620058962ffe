/**
 * A server process owned by a test: spawned with its output appended to a log file, watched
 * for early exit, stopped with a signal and a bounded wait. Where util-linux `setpriv` exists
 * the server is started with a parent-death signal, so it dies with the test process even when
 * that process is killed outright (no server left running for the next run).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { findOnPath } from './binaries.ts';
import { killQuietly, onProcessExit } from './cleanup.ts';

export interface ProcessSpec {
  readonly command: string;
  readonly args: readonly string[];
  /** Output (stdout and stderr) is appended here. */
  readonly logPath: string;
  readonly cwd: string;
  /** Run as this user (when the test process is root). */
  readonly user?: { readonly uid: number; readonly gid: number };
  readonly env?: NodeJS.ProcessEnv;
  /** Sent when the test process dies or exits without stopping the server. */
  readonly deathSignal: NodeJS.Signals;
  /** Sent by stop(): the server's graceful shutdown signal. */
  readonly stopSignal: NodeJS.Signals;
}

/** What the server helpers need from a running server process (local or in a container). */
export interface ServerProcess {
  readonly running: boolean;
  spawn(): Promise<void>;
  whenExited(): Promise<number | null>;
  stop(timeoutMs?: number): Promise<void>;
  /** Stop for good and release everything (the local process: same as stop()). */
  dispose(): Promise<void>;
}

export class ManagedProcess implements ServerProcess {
  private child: ChildProcess | undefined;
  private exited: Promise<number | null> | undefined;
  private unregister: (() => void) | undefined;

  constructor(private readonly spec: ProcessSpec) {}

  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** Spawn the process. Resolves once spawned (not once ready: the caller polls for that). */
  async spawn(): Promise<void> {
    if (this.running) return;
    const setpriv = findOnPath('setpriv');
    const [command, args] =
      setpriv === undefined
        ? [this.spec.command, [...this.spec.args]]
        : [
            setpriv,
            [
              '--pdeathsig',
              this.spec.deathSignal.replace(/^SIG/, ''),
              '--',
              this.spec.command,
              ...this.spec.args,
            ],
          ];
    const logFd = openSync(this.spec.logPath, 'a');
    try {
      const child = spawn(command, args, {
        cwd: this.spec.cwd,
        env: this.spec.env ?? { PATH: process.env.PATH ?? '/usr/bin:/bin', LANG: 'C.UTF-8' },
        stdio: ['ignore', logFd, logFd],
        ...(this.spec.user === undefined ? {} : { uid: this.spec.user.uid, gid: this.spec.user.gid }),
      });
      this.child = child;
      this.exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
      await new Promise<void>((resolve, reject) => {
        child.once('spawn', () => resolve());
        child.once('error', reject);
      });
    } finally {
      closeSync(logFd);
    }
    const pid = this.child.pid;
    this.unregister?.();
    this.unregister = onProcessExit(() => killQuietly(pid, this.spec.deathSignal));
  }

  /** Resolves with the exit code when the process exits; never if it keeps running. */
  whenExited(): Promise<number | null> {
    return this.exited ?? Promise.resolve(null);
  }

  async dispose(): Promise<void> {
    await this.stop();
  }

  /** Stop gracefully; SIGKILL after `timeoutMs`. */
  async stop(timeoutMs = 10_000): Promise<void> {
    const child = this.child;
    if (child === undefined || !this.running) {
      this.unregister?.();
      return;
    }
    child.kill(this.spec.stopSignal);
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    try {
      await this.whenExited();
    } finally {
      clearTimeout(timer);
      this.unregister?.();
      this.unregister = undefined;
    }
  }
}
