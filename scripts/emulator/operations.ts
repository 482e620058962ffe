import type { CallCounter } from './call-counter.ts';
import { Input } from './input.ts';
import { getRandomPassword } from './random-password.ts';
import type { Replicator } from './replication.ts';
import { cancelRotation, startRotation, type RotationPlan } from './rotation-state.ts';
import type { Operation } from './server.ts';
import { invalidParameter, invalidRequest } from './service-error.ts';
import type { SecretStore } from './store.ts';

/** What RotateSecret and CancelRotateSecret need from the function registry and the rotation runner. */
export interface RotationControl {
  hasFunction(arn: string): boolean;
  isRunning(secretArn: string): boolean;
  start(plan: RotationPlan): void;
  cancel(secretArn: string): void;
}

export interface OperationsOptions {
  readonly storeFor: (region: string) => SecretStore;
  readonly replicator: Replicator;
  readonly rotation: RotationControl;
  /** Every request is recorded here after it ran. */
  readonly counter: CallCounter;
}

/** The Secrets Manager operations the emulator answers, by name, each counted. */
export function createOperations(options: OperationsOptions): Record<string, Operation> {
  const operations = secretsManagerOperations(options);
  return Object.fromEntries(
    Object.entries(operations).map(([name, operation]) => [
      name,
      counted(name, operation, options.counter, options.storeFor),
    ]),
  );
}

function secretsManagerOperations({
  storeFor,
  replicator,
  rotation,
}: OperationsOptions): Record<string, Operation> {
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
  return {
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
      const { output, plan } = startRotation(
        storeFor(context.region),
        body,
        (arn) => rotation.hasFunction(arn),
        (arn) => {
          if (rotation.isRunning(arn))
            throw invalidRequest("A previous rotation isn't complete. That rotation will be reattempted.");
        },
      );
      rotation.start(plan);
      return output;
    }),
    CancelRotateSecret: write((body, context) => {
      const output = cancelRotation(storeFor(context.region), body);
      rotation.cancel(String(output['ARN']));
      return output;
    }),
  };
}

/** Count each request after it ran, under the ARN of the secret it named. */
function counted(
  name: string,
  operation: Operation,
  counter: CallCounter,
  storeFor: (region: string) => SecretStore,
): Operation {
  return (body, context) => {
    try {
      return operation(body, context);
    } finally {
      const named = body['SecretId'] ?? (name === 'CreateSecret' ? body['Name'] : undefined);
      const id = typeof named === 'string' ? named : undefined;
      counter.record(name, id === undefined ? undefined : (storeFor(context.region).find(id)?.arn ?? id));
    }
  };
}
