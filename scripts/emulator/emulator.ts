import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CallCounter, type CallCounts } from './call-counter.ts';
import { emulatorExtensions, resolveSecretArn } from './extensions.ts';
import { FunctionRegistry, type FunctionOptions, type FunctionTarget } from './function-registry.ts';
import { createOperations } from './operations.ts';
import { RegionStores } from './region-stores.ts';
import { Replicator, type RegionReplication } from './replication.ts';
import { RotationRunner, type RotationRecord } from './rotation-runner.ts';
import { createJsonServer } from './server.ts';
import type { Clock, SecretStore } from './store.ts';

export interface EmulatorOptions {
  /** 0 picks a free port. Default 4566. */
  readonly port?: number;
  /** Default 127.0.0.1. */
  readonly host?: string;
  /** Region for requests without a SigV4 Credential scope. Default us-east-1. */
  readonly region?: string;
  /** Default 123456789012. */
  readonly accountId?: string;
  /** JSON file the state is loaded from at start and written to after each change. Default: memory only. */
  readonly stateFile?: string;
  /** Whole-rotation retries after a failed attempt. Default 2. */
  readonly rotationRetries?: number;
  /** Pause before each retry. Default 0 ms. */
  readonly retryDelayMs?: number;
  /** Per-invocation timeout, like a Lambda timeout. Default 30 000 ms. */
  readonly invocationTimeoutMs?: number;
  /** Epoch milliseconds. Default Date.now. */
  readonly clock?: Clock;
  /** Versions a secret may hold (V5). Default 100. */
  readonly versionQuota?: number;
  /** Print child-process function output. Default false (kept in functionLogs only). */
  readonly verbose?: boolean;
  /** Time a change of a primary secret takes to reach each replica Region (MR2, MR9). Default 0 ms (still asynchronous). */
  readonly replicationDelayMs?: number;
  /** Unexpected internal failures. Default: console.error of the error (no request data). */
  readonly onInternalError?: (error: unknown) => void;
  /**
   * Serve the tool endpoints `GET /_emulator/*`. Default true. false answers them 404, as AWS
   * would: tools then see only what AWS offers (the CLI follows rotations by tags and labels).
   */
  readonly extensions?: boolean;
}

export interface Emulator {
  /** http://127.0.0.1:<port> */
  readonly endpoint: string;
  readonly port: number;
  /** `arn:aws:lambda:us-east-1:<account>:function:<name>` */
  registerFunction(name: string, target: FunctionTarget, options?: FunctionOptions): string;
  /**
   * Lambda Invoke (RequestResponse) of a registered function by name or ARN, outside any
   * rotation, as `aws lambda invoke` would: how a test delivers a late or duplicate step.
   * Resolves with the handler's result; rejects with an InvocationError (its `info` holds
   * the function's error name, message and code).
   */
  invoke(functionNameOrArn: string, event: unknown): Promise<unknown>;
  /** Resolves when the in-flight rotation (all retries) has ended, or at once with the last record. */
  waitForRotation(secretIdOrArn: string): Promise<RotationRecord>;
  /** Every rotation so far, oldest first. */
  readonly rotations: readonly RotationRecord[];
  /** Output lines of a child-process function. */
  functionLogs(name: string): readonly string[];
  /** Live pids and cold starts of a child-process function. */
  functionProcesses(name: string): { readonly pids: number[]; readonly started: number };
  /**
   * Secrets Manager requests answered so far, per operation, for the secret `secretIdOrArn`
   * names; without it, those that named no secret (GetRandomPassword, ListSecrets).
   */
  calls(secretIdOrArn?: string): CallCounts;
  /** The model for a region (tests, tools). */
  store(region?: string): SecretStore;
  /** Replication knobs (MR9): delay, hold or fail the copies to a Region; wait until none is in flight. */
  readonly replication: {
    configure(region: string, behaviour: RegionReplication): void;
    release(region: string): void;
    backlog(region: string): number;
    idle(): Promise<void>;
  };
  close(): Promise<void>;
}

/** Start the emulator: the model, the HTTP server, the function registry and the rotation runner. */
export async function startEmulator(options: EmulatorOptions = {}): Promise<Emulator> {
  const defaultRegion = options.region ?? 'us-east-1';
  const accountId = options.accountId ?? '123456789012';
  const { stores, storeFor, replicator } = regionModel(options, accountId);

  const counter = new CallCounter();
  // Requests are served only after this function returns, so the closures below see `functions` and `runner`.
  const resolveArn = (secretId: string): string | undefined =>
    resolveSecretArn(stores, runner.history, secretId);
  const server = createJsonServer({
    operations: createOperations({
      storeFor,
      replicator,
      counter,
      rotation: {
        hasFunction: (arn) => functions.has(arn),
        isRunning: (secretArn) => runner.isRunning(secretArn),
        start: (plan) => {
          runner.start(plan);
        },
        cancel: (secretArn) => runner.cancel(secretArn),
      },
    }),
    defaultRegion,
    onInternalError:
      options.onInternalError ?? ((error) => console.error('sm-emulator internal error', error)),
    extensions:
      options.extensions === false
        ? () => undefined
        : emulatorExtensions({ stores, counter, history: () => runner.history, resolveArn }),
  });
  const { endpoint, port } = await listen(server, options.host ?? '127.0.0.1', options.port ?? 4566);
  const { functions, runner } = rotationServices(options, { accountId, endpoint, defaultRegion, storeFor });

  return emulatorHandle({
    endpoint,
    invocationTimeoutMs: options.invocationTimeoutMs ?? 30_000,
    port,
    defaultRegion,
    server,
    storeFor,
    replicator,
    counter,
    functions,
    runner,
    resolveArn,
  });
}

/** The per-Region stores, loaded from the state file, each change saved and handed to the replicator. */
function regionModel(
  options: EmulatorOptions,
  accountId: string,
): {
  readonly stores: RegionStores;
  readonly storeFor: (region: string) => SecretStore;
  readonly replicator: Replicator;
} {
  const stores = new RegionStores({
    accountId,
    onChange: (region) => replicator.changed(region),
    ...(options.stateFile ? { stateFile: options.stateFile } : {}),
    ...(options.clock ? { clock: options.clock } : {}),
    ...(options.versionQuota !== undefined ? { versionQuota: options.versionQuota } : {}),
  });
  const storeFor = (region: string): SecretStore => stores.storeFor(region);
  const replicator = new Replicator({
    storeFor,
    ...(options.replicationDelayMs !== undefined ? { delayMs: options.replicationDelayMs } : {}),
  });
  stores.load();

  return { stores, storeFor, replicator };
}

/** The function registry (which needs the endpoint the functions call back) and the rotation runner. */
function rotationServices(
  options: EmulatorOptions,
  where: {
    readonly accountId: string;
    readonly endpoint: string;
    readonly defaultRegion: string;
    readonly storeFor: (region: string) => SecretStore;
  },
): { readonly functions: FunctionRegistry; readonly runner: RotationRunner } {
  const functions = new FunctionRegistry({
    accountId: where.accountId,
    endpoint: where.endpoint,
    region: where.defaultRegion,
    ...(options.verbose ? { verbose: true } : {}),
  });
  const runner = new RotationRunner({
    functions,
    storeFor: where.storeFor,
    ...(options.rotationRetries !== undefined ? { rotationRetries: options.rotationRetries } : {}),
    ...(options.invocationTimeoutMs !== undefined
      ? { invocationTimeoutMs: options.invocationTimeoutMs }
      : {}),
    ...(options.retryDelayMs !== undefined ? { retryDelayMs: options.retryDelayMs } : {}),
  });

  return { functions, runner };
}

async function listen(
  server: Server,
  host: string,
  port: number,
): Promise<{ readonly endpoint: string; readonly port: number }> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const bound = (server.address() as AddressInfo).port;
  return { endpoint: `http://${host}:${bound}`, port: bound };
}

interface HandleParts {
  readonly endpoint: string;
  /** Per-invocation timeout, as the rotation runner uses it. */
  readonly invocationTimeoutMs: number;
  readonly port: number;
  readonly defaultRegion: string;
  readonly server: Server;
  readonly storeFor: (region: string) => SecretStore;
  readonly replicator: Replicator;
  readonly counter: CallCounter;
  readonly functions: FunctionRegistry;
  readonly runner: RotationRunner;
  readonly resolveArn: (secretId: string) => string | undefined;
}

/** The `Emulator` a caller holds: each method delegates to the part that owns it; `close` stops them in order. */
function emulatorHandle(parts: HandleParts): Emulator {
  const { server, storeFor, replicator, counter, functions, runner, resolveArn } = parts;
  return {
    endpoint: parts.endpoint,
    port: parts.port,
    registerFunction: (name, target, functionOptions) => functions.register(name, target, functionOptions),
    invoke: (functionNameOrArn, event) =>
      functions.invoke(
        functionNameOrArn.startsWith('arn:') ? functionNameOrArn : functions.arnOf(functionNameOrArn),
        event,
        parts.invocationTimeoutMs,
      ),
    waitForRotation: (secretIdOrArn) => {
      const arn = resolveArn(secretIdOrArn) ?? secretIdOrArn;
      return runner.wait(arn) ?? Promise.reject(new Error(`No rotation recorded for ${secretIdOrArn}`));
    },
    get rotations() {
      return runner.history;
    },
    calls: (secretIdOrArn) =>
      counter.counts(secretIdOrArn === undefined ? undefined : (resolveArn(secretIdOrArn) ?? secretIdOrArn)),
    functionLogs: (name) => functions.logs(name),
    functionProcesses: (name) => functions.processes(name),
    store: (region = parts.defaultRegion) => storeFor(region),
    replication: {
      configure: (region, behaviour) => replicator.configure(region, behaviour),
      release: (region) => replicator.release(region),
      backlog: (region) => replicator.backlog(region),
      idle: () => replicator.idle(),
    },
    close: async () => {
      replicator.close();
      runner.cancelAll();
      await functions.close(); // kills pooled processes, so their invocations end now
      await runner.settle(2000);
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
