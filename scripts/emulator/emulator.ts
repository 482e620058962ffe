import type { AddressInfo } from 'node:net';
import { CallCounter, type CallCounts } from './call-counter.ts';
import { FunctionRegistry, type FunctionOptions, type FunctionTarget } from './function-registry.ts';
import { loadState, saveState } from './persistence.ts';
import { getRandomPassword } from './random-password.ts';
import { Input } from './input.ts';
import { Replicator, type RegionReplication } from './replication.ts';
import { RotationRunner, type RotationRecord } from './rotation-runner.ts';
import { cancelRotation, startRotation } from './rotation-state.ts';
import { createJsonServer, type Operation } from './server.ts';
import { invalidParameter, invalidRequest } from './service-error.ts';
import { SecretStore, type Clock } from './store.ts';

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
}

export interface Emulator {
  /** http://127.0.0.1:<port> */
  readonly endpoint: string;
  readonly port: number;
  /** `arn:aws:lambda:us-east-1:<account>:function:<name>` */
  registerFunction(name: string, target: FunctionTarget, options?: FunctionOptions): string;
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
  const stores = new Map<string, SecretStore>();
  let loading = true;
  const persist = (): void => {
    if (!options.stateFile || loading) return;
    saveState(options.stateFile, {
      format: 1,
      regions: Object.fromEntries([...stores].map(([region, store]) => [region, store.snapshot()])),
    });
  };
  const storeFor = (region: string): SecretStore => {
    let store = stores.get(region);
    if (!store) {
      store = new SecretStore({
        region,
        accountId,
        onChange: () => {
          persist();
          replicator.changed(region);
        },
        ...(options.clock ? { clock: options.clock } : {}),
        ...(options.versionQuota !== undefined ? { versionQuota: options.versionQuota } : {}),
      });
      stores.set(region, store);
    }
    return store;
  };
  const replicator = new Replicator({
    storeFor,
    ...(options.replicationDelayMs !== undefined ? { delayMs: options.replicationDelayMs } : {}),
  });
  if (options.stateFile) {
    const state = loadState(options.stateFile);
    for (const [region, records] of Object.entries(state?.regions ?? {})) storeFor(region).load(records);
  }
  loading = false;

  const on =
    (method: keyof SecretStore): Operation =>
    (body, context) =>
      (storeFor(context.region)[method] as (b: Record<string, unknown>) => Record<string, unknown>).call(
        storeFor(context.region),
        body,
      );
  /** MR5: an operation that changes a secret, refused on a replica in its Region. */
  const write =
    (operation: Operation): Operation =>
    (body, context) => {
      replicator.refuseReplicaWrite(context.region, body);
      return operation(body, context);
    };
  const counter = new CallCounter();
  /** Count each request after it ran, under the ARN of the secret it named. */
  const counted = (name: string, operation: Operation): Operation => {
    return (body, context) => {
      try {
        return operation(body, context);
      } finally {
        const named = body['SecretId'] ?? (name === 'CreateSecret' ? body['Name'] : undefined);
        const id = typeof named === 'string' ? named : undefined;
        counter.record(name, id === undefined ? undefined : (storeFor(context.region).find(id)?.arn ?? id));
      }
    };
  };
  const operations: Record<string, Operation> = {
    CreateSecret: (body, context) => {
      const { AddReplicaRegions: replicas, ForceOverwriteReplicaSecret: force, ...rest } = body;
      const regions = new Input({ AddReplicaRegions: replicas }).objectList('AddReplicaRegions') ?? [];
      const output = storeFor(context.region).createSecret({ ...rest, AddReplicaRegions: replicas });
      if (regions.length === 0) return output;
      const replication = replicator.addReplicas(
        context.region,
        String(output['ARN']),
        regions,
        force === true,
      );
      return { ...output, ReplicationStatus: replication['ReplicationStatus'] }; // C2, MR1
    },
    DescribeSecret: (body, context) => {
      const output = storeFor(context.region).describeSecret(body);
      const secret = storeFor(context.region).find(String(output['ARN']));
      const replication = secret ? replicator.replicationStatus(secret) : undefined;
      return replication ? { ...output, ReplicationStatus: replication } : output; // MR4
    },
    GetSecretValue: on('getSecretValue'),
    PutSecretValue: write(on('putSecretValue')),
    UpdateSecret: write(on('updateSecret')),
    UpdateSecretVersionStage: write(on('updateSecretVersionStage')),
    ListSecretVersionIds: on('listSecretVersionIds'),
    ListSecrets: on('listSecrets'),
    TagResource: write(on('tagResource')),
    UntagResource: write(on('untagResource')),
    DeleteSecret: write((body, context) => {
      replicator.refuseDeleteWithReplicas(context.region, body); // MR6
      return storeFor(context.region).deleteSecret(body);
    }),
    RestoreSecret: write(on('restoreSecret')),
    GetRandomPassword: (body) => getRandomPassword(body),
    ReplicateSecretToRegions: (body, context) => {
      const input = new Input(body);
      const secretId = input.string('SecretId', { required: true, min: 1, max: 2048 });
      const regions = input.objectList('AddReplicaRegions') ?? [];
      if (regions.length === 0) throw invalidParameter('AddReplicaRegions must name at least one Region.');
      return replicator.addReplicas(
        context.region,
        secretId,
        regions,
        input.boolean('ForceOverwriteReplicaSecret') ?? false,
      );
    },
    RemoveRegionsFromReplication: (body, context) => replicator.removeReplicas(context.region, body),
    StopReplicationToReplica: (body, context) => replicator.promote(context.region, body),
    RotateSecret: write((body, context) => {
      const store = storeFor(context.region);
      const { output, plan } = startRotation(
        store,
        body,
        (arn) => functions.has(arn),
        (arn) => {
          if (runner.isRunning(arn))
            throw invalidRequest("A previous rotation isn't complete. That rotation will be reattempted.");
        },
      );
      runner.start(plan);
      return output;
    }),
    CancelRotateSecret: write((body, context) => {
      const output = cancelRotation(storeFor(context.region), body);
      runner.cancel(String(output['ARN']));
      return output;
    }),
  };

  /** Secret name or ARN to ARN, across regions; history covers deleted secrets. */
  const resolveArn = (secretId: string): string | undefined => {
    // A replica (MR4) is never rotated itself: prefer the primary of that name.
    const found = [...stores.values()]
      .map((store) => store.find(secretId))
      .filter((secret) => secret !== undefined)
      .sort((a, b) => Number(a.primaryRegion !== undefined) - Number(b.primaryRegion !== undefined))[0];
    if (found) return found.arn;
    const match = [...runner.history]
      .reverse()
      .find((record) => record.secretArn === secretId || record.secretArn.includes(`:secret:${secretId}-`));
    return match?.secretArn;
  };

  const server = createJsonServer({
    operations: Object.fromEntries(
      Object.entries(operations).map(([name, operation]) => [name, counted(name, operation)]),
    ),
    defaultRegion,
    onInternalError:
      options.onInternalError ?? ((error) => console.error('sm-emulator internal error', error)),
    extensions: (path, query) => {
      if (path === 'health')
        return {
          status: 'ok',
          secrets: [...stores.values()].reduce((sum, store) => sum + store.all().length, 0),
          rotationsInFlight: runner.history.filter((record) => record.outcome === 'in-progress').length,
        };
      if (path === 'calls') {
        const secretId = query.get('secretId');
        return { calls: counter.counts(secretId ? (resolveArn(secretId) ?? secretId) : undefined) };
      }
      if (path === 'rotations') {
        const secretId = query.get('secretId');
        const arn = secretId ? resolveArn(secretId) : undefined;
        return { rotations: runner.history.filter((record) => !secretId || record.secretArn === arn) };
      }
      return undefined;
    },
  });
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 4566, host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const endpoint = `http://${host}:${port}`;
  // Requests are served only after this function returns, so the closures above see these.
  const functions = new FunctionRegistry({
    accountId,
    endpoint,
    region: defaultRegion,
    ...(options.verbose ? { verbose: true } : {}),
  });
  const runner = new RotationRunner({
    functions,
    storeFor,
    ...(options.rotationRetries !== undefined ? { rotationRetries: options.rotationRetries } : {}),
    ...(options.invocationTimeoutMs !== undefined
      ? { invocationTimeoutMs: options.invocationTimeoutMs }
      : {}),
    ...(options.retryDelayMs !== undefined ? { retryDelayMs: options.retryDelayMs } : {}),
  });

  return {
    endpoint,
    port,
    registerFunction: (name, target, functionOptions) => functions.register(name, target, functionOptions),
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
    store: (region = defaultRegion) => storeFor(region),
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
