import type { Env } from '../../../shared/config.ts';
import type { FunctionDefinition } from '../../../shared/rotation-function.ts';
import type { InjectOptions } from '../fault-injector.ts';
import type { NodeJudgeInput, NodeVerdict } from '../observation.ts';
import type { Rng } from '../prng.ts';

/**
 * How a kind keeps applications working during rotation, which decides the invariants:
 * - zeroDowntime (PostgreSQL alternating users, Redis ACL, ElastiCache, JWT keyring):
 *   AWSCURRENT works at every observation point; after a completed normal rotation the
 *   replaced credential (AWSPREVIOUS) still works (grace), after an emergency one it does not.
 * - single (single-user PostgreSQL, Redis requirepass): AWSCURRENT or AWSPENDING works at
 *   every point, AWSCURRENT once complete, and the replaced credential no longer works.
 */
export const CredentialModel = {
  zeroDowntime: 'zero-downtime',
  single: 'single',
} as const;
export type CredentialModel = (typeof CredentialModel)[keyof typeof CredentialModel];

/** Wraps a target port so its async methods become injection points. */
export type PortWrapper = <P extends object>(portName: string, port: P, options?: InjectOptions) => P;

/** Create another secret the function reads (an admin secret); resolves its ARN. */
export type CreateSecret = (
  name: string,
  secretString: string,
  tags?: Readonly<Record<string, string>>,
) => Promise<string>;

export interface ProvisionedSecret {
  readonly secretString: string;
  /** Extra env for this secret (e.g. the admin secret's ARN), merged over the target's env. */
  readonly env?: Env;
}

/** What a verifier that reads the secret sees. */
export interface VerifierView {
  readonly current: string | undefined;
  readonly previous: string | undefined;
}

/**
 * A target made of several servers (a cluster, a primary with replicas) that an actor stops
 * and starts: the node-down faults. The runner calls it at the moments below; the actor keeps
 * the node ledger (scripts/chaos/node-invariants.ts) that judges every observation on every
 * running node.
 */
export interface TopologyActor {
  /** Faults on, before a rotation starts: a node that missed the last rotation comes back; maybe one goes down. */
  beforeRotation(trace: string[]): Promise<void>;
  /** Faults on, between two steps: maybe stop a running node, maybe start a stopped one. */
  betweenSteps(trace: string[]): Promise<void>;
  /** Faults off: every stopped node starts again and serves. */
  restore(trace: string[]): Promise<void>;
  /** Try each value on every running node and judge the observation (node-invariants.ts). */
  judge(input: NodeJudgeInput): Promise<NodeVerdict>;
}

/** One kind, format and mode under test, with its real target behind it. */
export interface ChaosTarget {
  /** e.g. `jwt/json`, `postgres/alternating/url`. Used to replay: `--target <name>`. */
  readonly name: string;
  readonly model: CredentialModel;
  /** The kind honours RotationMode=emergency (revoke the old credential at finishSecret). */
  readonly emergency: boolean;
  /**
   * Whether `rotation repair` (clear a stale AWSPENDING, start over) keeps a working
   * credential after a rotation abandoned past setSecret. False for a single-user kind that
   * logs in only with the secret's own credential: the new password is on the target, and
   * repair removes the only label that points at it. Such targets recover by resuming.
   */
  readonly repairSafe: boolean;
  /** Env the function needs for this target (the runner adds the emulator endpoint). */
  readonly env: Env;
  /**
   * The per-call fault probabilities a schedule draws from. Default [0.03, 0.08, 0.15, 0.3].
   * Node-down targets include 0: a rotation that succeeds while a node is down needs calm calls.
   */
  readonly faultProbabilities?: readonly number[];
  /** Schedules on this target must not overlap (it rotates a server-wide credential). */
  readonly exclusive?: boolean;
  /** Create what the secret's first value needs on the target and return that value. */
  provision(secretName: string, rng: Rng, createSecret: CreateSecret): Promise<ProvisionedSecret>;
  /** The function definition with every target port wrapped by `wrap`. */
  definition(wrap: PortWrapper, env: Env): FunctionDefinition<unknown, object>;
  /**
   * Does the credential in `secretString` authenticate against the real target?
   * `view` holds AWSCURRENT's and AWSPREVIOUS's values, for kinds whose verifier reads
   * the secret itself (a JWT verifier accepts the keys it finds there).
   */
  authenticates(secretString: string, view: VerifierView): Promise<boolean>;
  /**
   * Node-down faults and per-node judgement, for multi-node targets. Their `authenticates`
   * then answers "works on some running node" (what a revoked credential must not do); the
   * observer asks `topology.judge` whether AWSCURRENT works on every node.
   */
  readonly topology?: TopologyActor;
  /** Texts the target produced that must not contain secrets (server log, MONITOR capture). */
  capturedTexts?(): Promise<readonly { readonly source: string; readonly text: string }[]>;
  close(): Promise<void>;
}
