import { Input } from './input.ts';
import {
  cloneSecret,
  compact,
  regionOfArn,
  seconds,
  type ReplicaRecord,
  type SecretRecord,
  type VersionRecord,
} from './secret-record.ts';
import { invalidParameter, notFound } from './service-error.ts';
import type { Output, SecretStore } from './store.ts';

/**
 * Multi-Region secrets (MR1-MR9 in scripts/emulator/README.md, "Multi-Region secrets"). A primary secret lists
 * its replica Regions; every change of the primary reaches each replica later, as a
 * copy of the primary's versions, labels, tags and description, delivered in order
 * after the Region's delay. Replicas are read-only in their Region. Tests and tools can
 * delay, hold or fail replication to a Region to keep a replica behind.
 */

/** How replication to one Region behaves (MR9, the emulator's own knobs). */
export interface RegionReplication {
  /** Time between a change of the primary and its arrival in this Region. Default: the emulator's replicationDelayMs. */
  readonly delayMs?: number;
  /** Deliveries wait until `release(region)`. Default false. */
  readonly hold?: boolean;
  /** The next delivery fails instead: the replica turns Failed with this StatusMessage and stops receiving. */
  readonly failWith?: string;
}

export interface ReplicatorOptions {
  readonly storeFor: (region: string) => SecretStore;
  /** Default delay for every Region. Default 0 ms (still asynchronous). */
  readonly delayMs?: number;
}

interface Delivery {
  readonly primaryArn: string;
  readonly snapshot: SecretRecord;
  /** When the change was made; it arrives the delay later (changes travel in parallel, arrive in order). */
  readonly changedMs: number;
}

interface RegionQueue {
  readonly deliveries: Delivery[];
  timer?: NodeJS.Timeout;
}

/** MR5: AWS's answer to a write in a replica's Region (recorded, see the README). */
export const REPLICA_READ_ONLY =
  "Operation not permitted on a replica secret. Call must be made in primary secret's region.";
/** MR3: ReplicationStatusType's own example message. */
export const NAME_EXISTS_IN_REGION = 'Secret with this name already exists in this region';
const REGION = /^([a-z]+-)+\d+$/;

/** What a copy carries; a change to anything else (access dates) is not replicated. */
function fingerprint(secret: SecretRecord): string {
  return JSON.stringify({
    versions: secret.versions.map((v) => [
      v.versionId,
      v.stages,
      v.secretString,
      v.secretBinary,
      v.createdMs,
    ]),
    tags: secret.tags,
    description: secret.description,
    deleted: secret.deletionMs,
  });
}

export class Replicator {
  private readonly queues = new Map<string, RegionQueue>();
  private readonly behaviour = new Map<string, RegionReplication>();
  private readonly sent = new Map<string, string>();
  private readonly idleWaiters: (() => void)[] = [];
  private closed = false;

  constructor(private readonly options: ReplicatorOptions) {}

  /** Change how replication to `region` behaves from now on (merged over what was set). */
  configure(region: string, behaviour: RegionReplication): void {
    this.behaviour.set(region, { ...this.behaviour.get(region), ...behaviour });
    if (behaviour.hold === false) this.kick(region);
  }

  /** Let held deliveries to `region` through. */
  release(region: string): void {
    this.configure(region, { hold: false });
  }

  /** Deliveries not yet applied, per Region. */
  backlog(region: string): number {
    return this.queues.get(region)?.deliveries.length ?? 0;
  }

  /** Resolves when no delivery is waiting in any Region that is not held. */
  idle(): Promise<void> {
    if (this.isIdle()) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  close(): void {
    this.closed = true;
    for (const queue of this.queues.values()) clearTimeout(queue.timer);
    this.queues.clear();
    for (const waiter of this.idleWaiters.splice(0)) waiter();
  }

  // ---- hooks the emulator calls --------------------------------------------------------

  /** After any change in `region`: queue a copy of each replicated primary that changed (MR2). */
  changed(region: string): void {
    if (this.closed) return;
    for (const secret of this.options.storeFor(region).all()) {
      if (!secret.replicas?.length) continue;
      const print = fingerprint(secret);
      if (this.sent.get(secret.arn) === print) continue;
      this.sent.set(secret.arn, print);
      for (const replica of secret.replicas)
        if (replica.status !== 'Failed') this.enqueue(replica.region, secret);
    }
  }

  /** MR5: writes to a replica are refused in its Region. */
  refuseReplicaWrite(region: string, body: Record<string, unknown>): void {
    const secretId = body['SecretId'];
    if (typeof secretId !== 'string') return;
    const secret = this.options.storeFor(region).find(secretId);
    if (secret?.primaryRegion !== undefined) throw invalidParameter(REPLICA_READ_ONLY);
  }

  /** MR6: a primary that still has replicas cannot be deleted. */
  refuseDeleteWithReplicas(region: string, body: Record<string, unknown>): void {
    const secretId = body['SecretId'];
    if (typeof secretId !== 'string') return;
    const secret = this.options.storeFor(region).find(secretId);
    if (secret?.replicas?.length)
      throw invalidParameter(
        `You can't delete secret ${secret.arn} that still has replica regions [${secret.replicas.map((r) => r.region).join(', ')}].`,
      );
  }

  /** MR4: ReplicationStatus, with each replica's own LastAccessedDate. */
  replicationStatus(secret: SecretRecord): Output[] | undefined {
    if (!secret.replicas?.length) return undefined;
    return secret.replicas.map((replica) => {
      const copy =
        replica.status === 'Failed' ? undefined : this.options.storeFor(replica.region).find(secret.name);
      return compact({
        Region: replica.region,
        KmsKeyId: replica.kmsKeyId ?? 'alias/aws/secretsmanager',
        Status: replica.status,
        StatusMessage: replica.statusMessage,
        LastAccessedDate: copy?.primaryRegion !== undefined ? seconds(copy.lastAccessedMs) : undefined,
      });
    });
  }

  // ---- operations ------------------------------------------------------------------------

  /** MR1, MR3: CreateSecret's AddReplicaRegions and ReplicateSecretToRegions. */
  addReplicas(region: string, secretId: string, regions: readonly Input[], force: boolean): Output {
    const store = this.options.storeFor(region);
    const added = regions.map((entry) => ({
      region: entry.string('Region', { required: true, min: 1, max: 128 }),
      kmsKeyId: entry.string('KmsKeyId', { max: 2048 }),
    }));
    for (const { region: target } of added) {
      if (!REGION.test(target)) throw invalidParameter(`Invalid replica Region: ${target}`);
      if (target === region)
        throw invalidParameter(`Invalid replica Region ${target}: it is the Region of the primary secret.`);
    }
    const secret = store.find(secretId);
    if (!secret) throw notFound();
    if (secret.primaryRegion !== undefined) throw invalidParameter(REPLICA_READ_ONLY);
    const fresh: ReplicaRecord[] = [];
    store.mutate(secret.arn, (record) => {
      record.replicas ??= [];
      for (const { region: target, kmsKeyId } of added) {
        if (record.replicas.some((replica) => replica.region === target)) continue;
        const replica: ReplicaRecord = {
          region: target,
          status: 'InProgress',
          ...(kmsKeyId !== undefined ? { kmsKeyId } : {}),
        };
        const existing = this.options.storeFor(target).find(record.name);
        if (existing && !(existing.primaryRegion === region && existing.arn === replicaArn(record, target))) {
          if (!force) {
            replica.status = 'Failed';
            replica.statusMessage = NAME_EXISTS_IN_REGION;
          } else {
            this.options
              .storeFor(target)
              .deleteSecret({ SecretId: existing.arn, ForceDeleteWithoutRecovery: true });
          }
        }
        record.replicas.push(replica);
        if (replica.status !== 'Failed') fresh.push(replica);
      }
    });
    for (const replica of fresh) this.enqueue(replica.region, secret);
    this.sent.set(secret.arn, fingerprint(secret));
    return { ARN: secret.arn, ReplicationStatus: this.replicationStatus(secret) };
  }

  /** MR7: RemoveRegionsFromReplication deletes the replicas in the Regions named. */
  removeReplicas(region: string, body: Record<string, unknown>): Output {
    const input = new Input(body);
    const secretId = input.string('SecretId', { required: true, min: 1, max: 2048 });
    const regions = input.stringList('RemoveReplicaRegions', { min: 1, item: { min: 1, max: 128 } }) ?? [];
    if (regions.length === 0) throw invalidParameter('RemoveReplicaRegions must name at least one Region.');
    const store = this.options.storeFor(region);
    const secret = store.find(secretId);
    if (!secret) throw notFound();
    if (secret.primaryRegion !== undefined) throw invalidParameter(REPLICA_READ_ONLY);
    const known = new Set((secret.replicas ?? []).map((replica) => replica.region));
    const unknown = regions.filter((target) => !known.has(target));
    if (unknown.length > 0)
      throw invalidParameter(`Secret ${secret.arn} is not replicated to ${unknown.join(', ')}.`);
    store.mutate(secret.arn, (record) => {
      record.replicas = (record.replicas ?? []).filter((replica) => !regions.includes(replica.region));
      if (record.replicas.length === 0) delete record.replicas;
    });
    for (const target of regions) {
      this.drop(target, secret.arn);
      const copy = this.options.storeFor(target).find(secret.name);
      if (copy?.primaryRegion === region)
        this.options.storeFor(target).deleteSecret({ SecretId: copy.arn, ForceDeleteWithoutRecovery: true });
    }
    return { ARN: secret.arn, ReplicationStatus: this.replicationStatus(secret) ?? [] };
  }

  /** MR8: StopReplicationToReplica, in the replica's Region, makes it a standalone secret. */
  promote(region: string, body: Record<string, unknown>): Output {
    const input = new Input(body);
    const secretId = input.string('SecretId', { required: true, min: 1, max: 2048 });
    const store = this.options.storeFor(region);
    const replica = store.find(secretId);
    if (!replica) throw notFound();
    const primaryRegion = replica.primaryRegion;
    if (primaryRegion === undefined)
      throw invalidParameter(
        `Secret ${replica.arn} is not a replica; call StopReplicationToReplica in the replica's Region.`,
      );
    const primaryStore = this.options.storeFor(primaryRegion);
    const primary = primaryStore.find(replica.name);
    if (primary)
      primaryStore.mutate(primary.arn, (record) => {
        record.replicas = (record.replicas ?? []).filter((entry) => entry.region !== region);
        if (record.replicas.length === 0) delete record.replicas;
      });
    if (primary) this.drop(region, primary.arn);
    store.mutate(replica.arn, (record) => {
      delete record.primaryRegion;
    });
    return { ARN: replica.arn };
  }

  // ---- delivery --------------------------------------------------------------------------

  private enqueue(region: string, primary: SecretRecord): void {
    const queue = this.queues.get(region) ?? { deliveries: [] };
    this.queues.set(region, queue);
    queue.deliveries.push({ primaryArn: primary.arn, snapshot: cloneSecret(primary), changedMs: Date.now() });
    this.kick(region);
  }

  private drop(region: string, primaryArn: string): void {
    const queue = this.queues.get(region);
    if (!queue) return;
    const kept = queue.deliveries.filter((delivery) => delivery.primaryArn !== primaryArn);
    queue.deliveries.splice(0, queue.deliveries.length, ...kept);
    this.settleIfIdle();
  }

  private kick(region: string): void {
    const queue = this.queues.get(region);
    if (!queue || queue.timer || queue.deliveries.length === 0 || this.closed) return;
    const behaviour = this.behaviour.get(region) ?? {};
    if (behaviour.hold) {
      this.settleIfIdle();
      return;
    }
    queue.timer = setTimeout(
      () => {
        delete queue.timer;
        if (this.behaviour.get(region)?.hold) {
          this.settleIfIdle();
          return;
        }
        const delivery = queue.deliveries.shift();
        if (delivery) this.deliver(region, delivery);
        this.kick(region);
        this.settleIfIdle();
      },
      Math.max(
        0,
        (queue.deliveries[0]?.changedMs ?? Date.now()) +
          (behaviour.delayMs ?? this.options.delayMs ?? 0) -
          Date.now(),
      ),
    );
    queue.timer.unref?.();
  }

  private deliver(region: string, delivery: Delivery): void {
    const primaryRegion = regionOfArn(delivery.primaryArn);
    const primaryStore = this.options.storeFor(primaryRegion);
    const primary = primaryStore.find(delivery.primaryArn);
    const entry = primary?.replicas?.find((replica) => replica.region === region);
    if (!primary || !entry || entry.status === 'Failed') return;
    const failWith = this.behaviour.get(region)?.failWith;
    if (failWith !== undefined) {
      this.behaviour.set(region, { ...this.behaviour.get(region), failWith: undefined });
      primaryStore.mutate(primary.arn, (record) => {
        const target = record.replicas?.find((replica) => replica.region === region);
        if (target) {
          target.status = 'Failed';
          target.statusMessage = failWith;
        }
      });
      this.drop(region, primary.arn);
      return;
    }
    const store = this.options.storeFor(region);
    const { snapshot } = delivery;
    const arn = replicaArn(snapshot, region);
    const copy: SecretRecord = {
      arn,
      name: snapshot.name,
      createdMs: snapshot.createdMs,
      lastChangedMs: snapshot.lastChangedMs,
      versions: snapshot.versions.map((version) => withOwnAccess(store.find(arn), structuredClone(version))),
      primaryRegion,
      ...(snapshot.description !== undefined ? { description: snapshot.description } : {}),
      ...(snapshot.tags !== undefined ? { tags: structuredClone(snapshot.tags) } : {}),
      ...(entry.kmsKeyId !== undefined ? { kmsKeyId: entry.kmsKeyId } : {}),
    };
    const lastAccessedMs = store.find(arn)?.lastAccessedMs;
    if (lastAccessedMs !== undefined) copy.lastAccessedMs = lastAccessedMs;
    else delete copy.lastAccessedMs;
    store.replace(copy);
    if (entry.status === 'InProgress')
      primaryStore.mutate(primary.arn, (record) => {
        const target = record.replicas?.find((replica) => replica.region === region);
        if (target?.status === 'InProgress') target.status = 'InSync';
      });
  }

  private isIdle(): boolean {
    for (const [region, queue] of this.queues)
      if (queue.deliveries.length > 0 && !this.behaviour.get(region)?.hold) return false;
    return true;
  }

  private settleIfIdle(): void {
    if (!this.isIdle()) return;
    for (const waiter of this.idleWaiters.splice(0)) waiter();
  }
}

/** The replica's ARN: the primary's with the Region changed (UG:replicate-secrets). */
export function replicaArn(primary: Pick<SecretRecord, 'arn'>, region: string): string {
  const parts = primary.arn.split(':');
  parts[3] = region;
  return parts.join(':');
}

/** A replica keeps its own access dates (MR4: LastAccessedDate is per Region). */
function withOwnAccess(own: SecretRecord | undefined, version: VersionRecord): VersionRecord {
  const mine = own?.versions.find((each) => each.versionId === version.versionId)?.lastAccessedMs;
  if (mine === undefined) delete version.lastAccessedMs;
  else version.lastAccessedMs = mine;
  return version;
}
