import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { FunctionPool, InvocationError } from './function-pool.ts';
import {
  buildContext,
  callHandler,
  errorInfo,
  type ContextData,
  type LambdaContext,
} from './lambda-types.ts';
import { unzipToTemp } from './unzip.ts';

export type InProcessFunction = (event: unknown, context: LambdaContext) => unknown;
export type FunctionTarget = InProcessFunction | { readonly path: string };

export interface FunctionOptions {
  /** Extra environment for a child-process function. */
  readonly env?: Readonly<Record<string, string>>;
  /** Most warm processes for a child-process function. Default 4. */
  readonly poolSize?: number;
  /** Limit for a child process to import the module (Lambda's init phase). Default 10 000 ms. */
  readonly initTimeoutMs?: number;
}

export interface RegistryOptions {
  readonly accountId: string;
  /** The emulator's URL, given to functions as SECRETS_MANAGER_ENDPOINT and SECRETS_MANAGER_REPLICA_ENDPOINT. */
  readonly endpoint: string;
  readonly region: string;
  readonly verbose?: boolean;
}

interface Registered {
  readonly name: string;
  readonly arn: string;
  readonly inProcess?: InProcessFunction;
  pool?: FunctionPool;
  readonly tempDirs?: string[];
}

/** Rotation functions by Lambda ARN: in-process handlers or pooled child processes. */
export class FunctionRegistry {
  private readonly functions = new Map<string, Registered>();
  private readonly closing: Promise<void>[] = [];

  constructor(private readonly options: RegistryOptions) {}

  arnOf(name: string): string {
    return `arn:aws:lambda:us-east-1:${this.options.accountId}:function:${name}`;
  }

  has(arn: string): boolean {
    return this.functions.has(arn) || this.functions.has(arn.replace(/:(\$LATEST|\d+)$/, ''));
  }

  /** Synchronous so callers get the ARN at once; a zip is unzipped before the first invocation. */
  register(name: string, target: FunctionTarget, options: FunctionOptions = {}): string {
    if (!/^[a-zA-Z0-9-_]{1,64}$/.test(name))
      throw new Error(`Invalid function name ${JSON.stringify(name)}: use 1-64 letters, digits, - or _`);
    const arn = this.arnOf(name);
    this.unregister(arn);
    if (typeof target === 'function') {
      this.functions.set(arn, { name, arn, inProcess: target });
      return arn;
    }
    const path = resolve(target.path);
    if (!existsSync(path)) throw new Error(`Function ${name}: ${path} does not exist`);
    const tempDirs: string[] = [];
    const registered: Registered = { name, arn, tempDirs };
    const modulePath = path.endsWith('.zip')
      ? unzipToTemp(path).then((dir) => {
          tempDirs.push(dir);
          const entry = ['index.mjs', 'index.js']
            .map((file) => join(dir, file))
            .find((file) => existsSync(file));
          if (!entry)
            throw new InvocationError({
              name: 'Runtime.ImportModuleError',
              message: `${path} holds no index.mjs or index.js`,
            });
          return entry;
        })
      : Promise.resolve(path);
    modulePath.catch(() => undefined);
    const env: Record<string, string | undefined> = {
      ...process.env,
      SECRETS_MANAGER_ENDPOINT: this.options.endpoint,
      // One endpoint serves every Region here (W9), so replica-Region clients use it too.
      SECRETS_MANAGER_REPLICA_ENDPOINT: this.options.endpoint,
      AWS_REGION: this.options.region,
      AWS_DEFAULT_REGION: this.options.region,
      AWS_ACCESS_KEY_ID: 'emulator',
      AWS_SECRET_ACCESS_KEY: 'emulator',
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      AWS_LAMBDA_FUNCTION_NAME: name,
      ...options.env,
    };
    delete env['AWS_SESSION_TOKEN'];
    delete env['AWS_PROFILE'];
    registered.pool = new FunctionPool({
      name,
      modulePath,
      env,
      ...(options.poolSize !== undefined ? { poolSize: options.poolSize } : {}),
      ...(options.initTimeoutMs !== undefined ? { initTimeoutMs: options.initTimeoutMs } : {}),
      ...(this.options.verbose ? { verbose: true } : {}),
    });
    this.functions.set(arn, registered);
    return arn;
  }

  private find(arn: string): Registered | undefined {
    return this.functions.get(arn) ?? this.functions.get(arn.replace(/:(\$LATEST|\d+)$/, ''));
  }

  private byName(name: string): Registered | undefined {
    return this.functions.get(this.arnOf(name));
  }

  /** Invoke synchronously (RequestResponse), as Secrets Manager does (R9). Rejects with InvocationError. */
  async invoke(arn: string, event: unknown, timeoutMs: number): Promise<unknown> {
    const fn = this.find(arn);
    if (!fn)
      throw new InvocationError({ name: 'ResourceNotFoundException', message: `Function not found: ${arn}` });
    const context: ContextData = {
      awsRequestId: randomUUID(),
      functionName: fn.name,
      invokedFunctionArn: arn,
      deadlineMs: Date.now() + timeoutMs,
    };
    // The event crosses a boundary in Lambda: hand the function its own copy.
    const copy: unknown = JSON.parse(JSON.stringify(event));
    if (fn.pool) return fn.pool.invoke(copy, context, timeoutMs);
    const handler = fn.inProcess as InProcessFunction;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(
            new InvocationError({
              name: 'Sandbox.Timedout',
              message: `Task timed out after ${(timeoutMs / 1000).toFixed(2)} seconds`,
            }),
          ),
        timeoutMs,
      );
    });
    try {
      return await Promise.race([callHandler(handler, copy, buildContext(context)), timeout]);
    } catch (error) {
      throw error instanceof InvocationError ? error : new InvocationError(errorInfo(error));
    } finally {
      clearTimeout(timer);
    }
  }

  logs(name: string): readonly string[] {
    return this.byName(name)?.pool?.logs ?? [];
  }

  /** Live process ids and cold starts of a child-process function. */
  processes(name: string): { readonly pids: number[]; readonly started: number } {
    const pool = this.byName(name)?.pool;
    return { pids: pool?.pids ?? [], started: pool?.started ?? 0 };
  }

  /** Remove a function; its processes and temp folder go in the background (awaited by close()). */
  private unregister(arn: string): void {
    const fn = this.functions.get(arn);
    if (!fn) return;
    this.functions.delete(arn);
    this.closing.push(
      (async () => {
        await fn.pool?.close();
        for (const dir of fn.tempDirs ?? []) await rm(dir, { recursive: true, force: true });
      })(),
    );
  }

  async close(): Promise<void> {
    for (const arn of [...this.functions.keys()]) this.unregister(arn);
    await Promise.allSettled(this.closing);
  }
}
