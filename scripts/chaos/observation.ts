/**
 * The words the chaos judges share: the invariants a schedule checks, the phase of the
 * rotation at an observation point, what an observation records, and a multi-node target's
 * per-node verdict. The observer (invariants.ts), the node ledger (node-invariants.ts) and the
 * targets (targets/chaos-target.ts) all read them, so they live here, importing none of those.
 */

/** The promises a schedule checks. */
export const Invariant = {
  labels: 'labels',
  workingCredential: 'working-credential',
  completion: 'completion',
  revocation: 'revocation',
  noLeak: 'no-leak',
  /** A credential the operator marked leaked stops working once the emergency is reported done. */
  emergency: 'emergency',
  /** `status` never reports healthy while AWSCURRENT does not log in. */
  status: 'status',
  /** Multi-node targets: a node that missed a rotation is named by a warning and healed by the next one. */
  nodes: 'nodes',
} as const;
export type Invariant = (typeof Invariant)[keyof typeof Invariant];

export interface Violation {
  readonly invariant: Invariant;
  /** The observation point, e.g. "rotation 2 after setSecret (attempt 1)". */
  readonly at: string;
  readonly detail: string;
}

/** Where the rotation stands at an observation point. */
export const Phase = {
  /** A rotation may be half done. */
  during: 'during',
  /** The last rotation completed (normal mode): the replaced credential must still work. */
  completed: 'completed',
  /** The last rotation completed in emergency mode: the replaced credential must no longer work. */
  completedEmergency: 'completed-emergency',
} as const;
export type Phase = (typeof Phase)[keyof typeof Phase];

export interface Observation {
  readonly labels: Readonly<Record<string, readonly string[]>>;
  readonly current?: string;
  readonly pending?: string;
  readonly previous?: string;
  /** The value AWSCURRENT held before this rotation (the credential being replaced). */
  readonly replaced?: string;
  /** Whether the value labelled so authenticates; undefined when the label is absent or empty. */
  readonly works: {
    readonly current?: boolean;
    readonly pending?: boolean;
    readonly previous?: boolean;
    readonly replaced?: boolean;
  };
  /** Multi-node targets: whether the replaced credential logs in on any running node. */
  readonly worksAnywhere?: { readonly replaced?: boolean };
  /** Multi-node targets: the running nodes that refused each label (named in a violation). */
  readonly refused?: NodeVerdict['refused'];
  /** Multi-node targets: what the node ledger found (node-invariants.ts). */
  readonly nodeViolations?: readonly Violation[];
}

export type NodeLabel = 'current' | 'pending' | 'previous' | 'replaced';

export interface NodeJudgeInput {
  readonly phase: Phase;
  readonly at: string;
  /** Every line the function logged in this schedule so far (read from where the last rotation ended). */
  readonly logLines: readonly string[];
  readonly values: Readonly<Partial<Record<NodeLabel, string>>>;
}

export interface NodeVerdict {
  /** Per label: accepted on every running node the window does not excuse. */
  readonly works: Observation['works'];
  /** Per label: accepted on at least one running node (what a revoked credential must not be). */
  readonly anywhere: Readonly<Partial<Record<NodeLabel, boolean>>>;
  /** Per label: the running nodes that refused it (for the violation's detail). */
  readonly refused: Readonly<Partial<Record<NodeLabel, readonly string[]>>>;
  readonly violations: readonly Violation[];
}
