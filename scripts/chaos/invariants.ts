import {
  DescribeSecretCommand,
  GetSecretValueCommand,
  type SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { Invariant, Phase, type Observation, type Violation } from './observation.ts';
import { CredentialModel, type ChaosTarget } from './targets/chaos-target.ts';

export { Invariant, Phase } from './observation.ts';
export type { Observation, Violation } from './observation.ts';

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
