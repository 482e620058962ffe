import {
  DescribeSecretCommand,
  GetSecretValueCommand,
  type SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import type { NodeVerdict } from './node-invariants.ts';
import { CredentialModel, type ChaosTarget } from './targets/chaos-target.ts';

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

/** What the schedule knows at an observation, for multi-node targets' node ledger. */
export interface ObserveContext {
  readonly phase: Phase;
  readonly at: string;
  readonly logLines: readonly string[];
}

function holders(labels: Readonly<Record<string, readonly string[]>>, stage: string): string[] {
  return Object.entries(labels)
    .filter(([, stages]) => stages.includes(stage))
    .map(([id]) => id);
}

async function valueOf(
  client: SecretsManagerClient,
  arn: string,
  versionId: string | undefined,
): Promise<string | undefined> {
  if (versionId === undefined) return undefined;
  try {
    const out = await client.send(new GetSecretValueCommand({ SecretId: arn, VersionId: versionId }));
    return out.SecretString;
  } catch (error) {
    if (error instanceof Error && error.name === 'ResourceNotFoundException') return undefined;
    throw error;
  }
}

/** Read labels and values through an unfaulted client and try each labelled credential on the real target. */
export async function observe(
  client: SecretsManagerClient,
  arn: string,
  target: ChaosTarget,
  replaced?: string,
  context?: ObserveContext,
): Promise<Observation> {
  const described = await client.send(new DescribeSecretCommand({ SecretId: arn }));
  const labels = described.VersionIdsToStages ?? {};
  const [currentId] = holders(labels, 'AWSCURRENT');
  const [pendingId] = holders(labels, 'AWSPENDING');
  const [previousId] = holders(labels, 'AWSPREVIOUS');
  const current = await valueOf(client, arn, currentId);
  const pending = pendingId === currentId ? undefined : await valueOf(client, arn, pendingId);
  const previous = await valueOf(client, arn, previousId);
  const values = {
    ...(current !== undefined ? { current } : {}),
    ...(pending !== undefined ? { pending } : {}),
    ...(previous !== undefined ? { previous } : {}),
  };
  if (target.topology && context) {
    const verdict = await target.topology.judge({
      ...context,
      values: { ...values, ...(replaced !== undefined && replaced !== current ? { replaced } : {}) },
    });
    return {
      labels,
      ...values,
      ...(replaced !== undefined ? { replaced } : {}),
      works: verdict.works,
      worksAnywhere: {
        ...(verdict.anywhere.replaced !== undefined ? { replaced: verdict.anywhere.replaced } : {}),
      },
      refused: verdict.refused,
      nodeViolations: verdict.violations,
    };
  }
  const view = { current, previous };
  const tryIt = async (value: string | undefined): Promise<boolean | undefined> =>
    value === undefined ? undefined : target.authenticates(value, view);
  return {
    labels,
    ...values,
    ...(replaced !== undefined ? { replaced } : {}),
    works: {
      current: await tryIt(current),
      pending: await tryIt(pending),
      previous: await tryIt(previous),
      replaced: replaced === current ? undefined : await tryIt(replaced),
    },
  };
}

/** Check invariants 1, 2 and 4 on one observation. */
export function checkObservation(
  observation: Observation,
  model: CredentialModel,
  phase: Phase,
  at: string,
): Violation[] {
  const violations: Violation[] = [];
  const currents = holders(observation.labels, 'AWSCURRENT');
  const pendings = holders(observation.labels, 'AWSPENDING');
  if (currents.length !== 1)
    violations.push({
      invariant: Invariant.labels,
      at,
      detail: `${currents.length} versions hold AWSCURRENT (${currents.join(', ') || 'none'})`,
    });
  if (pendings.length > 1)
    violations.push({
      invariant: Invariant.labels,
      at,
      detail: `${pendings.length} versions hold AWSPENDING (${pendings.join(', ')})`,
    });
  const { works } = observation;
  const done = phase !== Phase.during;
  const on = (label: 'current' | 'replaced'): string => {
    const nodes = observation.refused?.[label];
    return nodes && nodes.length > 0 ? ` on ${nodes.join(', ')}` : '';
  };
  violations.push(...(observation.nodeViolations ?? []));
  if (model === CredentialModel.zeroDowntime || done) {
    if (works.current !== true)
      violations.push({
        invariant: Invariant.workingCredential,
        at,
        detail: `AWSCURRENT does not authenticate${on('current')} (${model}, ${phase})`,
      });
  } else if (works.current !== true && works.pending !== true) {
    violations.push({
      invariant: Invariant.workingCredential,
      at,
      detail: 'neither AWSCURRENT nor AWSPENDING authenticates (single-user, during rotation)',
    });
  }
  // Revocation: the credential this rotation replaced, once the rotation completed.
  if (observation.replaced !== undefined && observation.replaced !== observation.current && done) {
    const mustWork = model === CredentialModel.zeroDowntime && phase === Phase.completed;
    if (mustWork && works.replaced !== true) {
      violations.push({
        invariant: Invariant.revocation,
        at,
        detail: `the replaced credential stopped working${on('replaced')} before the mode revokes it (zero-downtime keeps it until the next rotation)`,
      });
    }
    // Revoked means revoked on every node: a multi-node target answers "anywhere" here.
    if (!mustWork && (observation.worksAnywhere?.replaced ?? works.replaced) === true) {
      violations.push({
        invariant: Invariant.revocation,
        at,
        detail: `the replaced credential still authenticates after a completed ${phase === Phase.completedEmergency ? 'emergency' : 'single-user'} rotation`,
      });
    }
  }
  return violations;
}
