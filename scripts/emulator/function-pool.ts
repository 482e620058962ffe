import { fork, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { buildSync } from 'esbuild';
import type { ChildMessage, ContextData, InvocationErrorInfo, ParentMessage } from './lambda-types.ts';

const RUNNER = fileURLToPath(new URL('./function-runner.ts', import.meta.url));
const TSX_LOADER = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
const MAX_LOG_LINES = 5000;

let plainRunner: string | undefined;

/**
 * The runner as plain JavaScript (bundled once per emulator process), so a built zip or a .js
 * module runs under bare `node` the way Lambda runs it: no TypeScript loader in its cold start.
 * TypeScript modules still need tsx's loader.
 */
function runnerFor(modulePath: string): { readonly script: string; readonly execArgv: string[] } {
  if (/\.[cm]?ts$/.test(modulePath)) return { script: RUNNER, execArgv: ['--import', TSX_LOADER] };
  if (plainRunner === undefined) {
    const outfile = join(mkdtempSync(join(tmpdir(), 'sm-emulator-runner-')), 'function-runner.mjs');
    buildSync({
      entryPoints: [RUNNER],
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      outfile,
      logLevel: 'silent',
    });
    plainRunner = outfile;
  }
  return { script: plainRunner, execArgv: [] };
}

/** An invocation failure reported by the sandbox (thrown error, timeout, crash). */
export class InvocationError extends Error {
  readonly info: InvocationErrorInfo;
  constructor(info: InvocationErrorInfo) {
    super(info.message);
    this.name = info.name;
    this.info = info;
  }
}

export interface PoolOptions {
  readonly name: string;
  /** The module exporting `handler` (an unzipped index.mjs or a .ts/.js file); may still be unzipping. */
  readonly modulePath: Promise<string>;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Most processes at once. Default 4. */
  readonly poolSize?: number;
  /** Lambda's init phase limit: importing the module. Default 10 000 ms. */
  readonly initTimeoutMs?: number;
  /** Print function output to the emulator's stderr as well. Default false. */
  readonly verbose?: boolean;
}

/** One warm sandbox: a child process that has imported the function once. */
class Sandbox {
  readonly child: ChildProcess;
  readonly ready: Promise<void>;
  dead = false;
  private nextId = 1;
  private readonly pending = new Map<
    number,
    { resolve: (value: unknown) => void; reject: (error: Error) => void }
  >();

  constructor(options: PoolOptions, modulePath: string, onLine: (line: string) => void) {
    const runner = runnerFor(modulePath);
    this.child = fork(runner.script, [modulePath], {
      execArgv: runner.execArgv,
      env: options.env,
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      serialization: 'advanced',
    });
    for (const stream of [this.child.stdout, this.child.stderr]) {
      let partial = '';
      stream?.setEncoding('utf8');
      stream?.on('data', (chunk: string) => {
        const lines = (partial + chunk).split('\n');
        partial = lines.pop() ?? '';
        for (const line of lines) onLine(line);
      });
      stream?.on('end', () => {
        if (partial) onLine(partial);
      });
    }
    this.ready = new Promise((resolve, reject) => {
      this.child.on('message', (message: ChildMessage) => {
        if (message.type === 'ready') resolve();
        else if (message.type === 'init-error')
          reject(
            new InvocationError({
              name: 'Runtime.ImportModuleError',
              message: `${message.error.name}: ${message.error.message}`,
            }),
          );
        else {
          const waiter = this.pending.get(message.id);
          this.pending.delete(message.id);
          if (!waiter) return;
          if (message.ok) waiter.resolve(message.value);
          else waiter.reject(new InvocationError(message.error));
        }
      });
      this.child.on('exit', (code, signal) => {
        this.dead = true;
        const error = new InvocationError({
          name: 'Runtime.ExitError',
          message: `Runtime exited with ${signal ? `signal: ${signal}` : `exit code ${code}`}`,
        });
        reject(error);
        for (const waiter of this.pending.values()) waiter.reject(error);
        this.pending.clear();
      });
      this.child.on('error', () => {
        this.dead = true;
      });
    });
    this.ready.catch(() => undefined);
  }

  async invoke(
    event: unknown,
    context: ContextData,
    timeoutMs: number,
    initTimeoutMs: number,
  ): Promise<unknown> {
    let initTimer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        this.ready,
        new Promise<never>((_, reject) => {
          initTimer = setTimeout(() => {
            this.kill();
            reject(
              new InvocationError({
                name: 'Sandbox.Timedout',
                message: `Init did not finish within ${(initTimeoutMs / 1000).toFixed(2)} seconds`,
              }),
            );
          }, initTimeoutMs);
        }),
      ]);
    } finally {
      clearTimeout(initTimer);
    }
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        // A timed-out sandbox is not reused, as in Lambda.
        this.kill();
        reject(
          new InvocationError({
            name: 'Sandbox.Timedout',
            message: `Task timed out after ${(timeoutMs / 1000).toFixed(2)} seconds`,
          }),
        );
      }, timeoutMs);
      this.pending.set(id, {
        resolve: (value) => {
          clearTimeout(timer);
          resolve(value);
        },
        reject: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      });
      const message: ParentMessage = { type: 'invoke', id, event, context };
      this.child.send(message, (error) => {
        if (error)
          this.pending.get(id)?.reject(
            new InvocationError({
              name: 'Runtime.ExitError',
              message: 'Could not reach the function process',
            }),
          );
      });
    });
  }

  kill(): void {
    this.dead = true;
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
  }

  exited(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return Promise.resolve();
    return new Promise((resolve) => this.child.once('exit', () => resolve()));
  }
}

/**
 * A small pool of warm processes for one function: reuse an idle one, start a new one
 * only while fewer than `poolSize` exist, otherwise queue. Dead or timed-out processes
 * are dropped and replaced on demand, so the emulator survives any function failure.
 */
export class FunctionPool {
  private readonly sandboxes: Sandbox[] = [];
  private readonly idle: Sandbox[] = [];
  private readonly waiters: { resolve: (sandbox: Sandbox) => void; reject: (error: Error) => void }[] = [];
  private readonly lines: string[] = [];
  private closed = false;
  private modulePath: string | undefined;
  /** Processes started so far (cold starts). */
  started = 0;

  constructor(private readonly options: PoolOptions) {}

  get logs(): readonly string[] {
    return this.lines;
  }

  /** Pids of live processes. */
  get pids(): number[] {
    return this.sandboxes.filter((sandbox) => !sandbox.dead).map((sandbox) => sandbox.child.pid ?? -1);
  }

  private onLine = (line: string): void => {
    this.lines.push(line);
    if (this.lines.length > MAX_LOG_LINES) this.lines.splice(0, this.lines.length - MAX_LOG_LINES);
    if (this.options.verbose) process.stderr.write(`[${this.options.name}] ${line}\n`);
  };

  private acquire(modulePath: string): Promise<Sandbox> {
    if (this.closed)
      return Promise.reject(
        new InvocationError({
          name: 'Runtime.Closed',
          message: `Function ${this.options.name} is shut down`,
        }),
      );
    const idle = this.idle.pop();
    if (idle) return Promise.resolve(idle);
    if (this.sandboxes.length < (this.options.poolSize ?? 4)) {
      const sandbox = new Sandbox(this.options, modulePath, this.onLine);
      this.started += 1;
      this.sandboxes.push(sandbox);
      sandbox.child.once('exit', () => this.drop(sandbox));
      return Promise.resolve(sandbox);
    }
    return new Promise((resolve, reject) => this.waiters.push({ resolve, reject }));
  }

  private drop(sandbox: Sandbox): void {
    const index = this.sandboxes.indexOf(sandbox);
    if (index >= 0) this.sandboxes.splice(index, 1);
    const idleIndex = this.idle.indexOf(sandbox);
    if (idleIndex >= 0) this.idle.splice(idleIndex, 1);
    // A waiter may now start a fresh process in the freed slot.
    const waiter = this.waiters.shift();
    if (waiter && this.modulePath !== undefined)
      this.acquire(this.modulePath).then(waiter.resolve, waiter.reject);
  }

  private release(sandbox: Sandbox): void {
    if (sandbox.dead) return; // drop() runs on exit
    const waiter = this.waiters.shift();
    if (waiter) waiter.resolve(sandbox);
    else this.idle.push(sandbox);
  }

  async invoke(event: unknown, context: ContextData, timeoutMs: number): Promise<unknown> {
    this.modulePath = await this.options.modulePath;
    const sandbox = await this.acquire(this.modulePath);
    try {
      return await sandbox.invoke(event, context, timeoutMs, this.options.initTimeoutMs ?? 10_000);
    } finally {
      this.release(sandbox);
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const waiter of this.waiters.splice(0))
      waiter.reject(
        new InvocationError({
          name: 'Runtime.Closed',
          message: `Function ${this.options.name} is shut down`,
        }),
      );
    const all = [...this.sandboxes];
    for (const sandbox of all) sandbox.kill();
    await Promise.all(all.map((sandbox) => sandbox.exited()));
  }
}
