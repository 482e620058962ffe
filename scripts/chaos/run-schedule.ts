import {
  CreateSecretCommand,
  DeleteSecretCommand,
  GetSecretValueCommand,
  ListSecretVersionIdsCommand,
  type SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import type { Env } from '../../shared/config.ts';
import { STEPS, type Step } from '../../shared/constants.ts';
import { FaultController, type FaultKind, type PinnedFault } from './fault-controller.ts';
import { buildFunctionUnderTest, type FunctionUnderTest } from './function-under-test.ts';
import { Invariant, Phase, type Violation } from './invariants.ts';
import { LeakDetector } from './leak-detector.ts';
import { EmergencyMoment, Operator, OperatorCli } from './operator-actors.ts';
import { mulberry32, type Rng } from './prng.ts';
import { RECOVERY, ScheduleRotations, type EmulatorLike, type Recovery } from './schedule-rotations.ts';
import type { ChaosTarget } from './targets/chaos-target.ts';

export type { EmulatorLike } from './schedule-rotations.ts';

export interface ScheduleInput {
  readonly seed: number;
  readonly target: ChaosTarget;
  readonly emulator: EmulatorLike;
  /** An unfaulted client: the observer's and the service's view. */
  readonly client: SecretsManagerClient;
  /** Lambda timeout per invocation while faults are on. Default 400 ms (a hang-forever fault costs this much). */
  readonly stepTimeoutMs?: number;
  /** Fixed faults instead of random ones (exhaustive and replay runs). */
  readonly pinned?: readonly PinnedFault[];
  /** Restrict random faults to these kinds. */
  readonly kinds?: readonly FaultKind[];
  /** Override the drawn fault probability (0 disables random faults). */
  readonly probability?: number;
  /** Also record this schedule's values here, for a run-wide scan of server logs. */
  readonly runLeaks?: LeakDetector;
  /** Write the labels and which credentials work at every observation into the trace (replays). */
  readonly verbose?: boolean;
  /** Delete the secret at the end (long runs). Default true. */
  readonly cleanUp?: boolean;
}

export interface ScheduleResult {
  readonly seed: number;
  readonly target: string;
  readonly violations: readonly Violation[];
  readonly trace: readonly string[];
  readonly calls: ReadonlyMap<string, number>;
  readonly faults: ReadonlyMap<string, number>;
  readonly rotations: number;
  readonly observations: number;
  /** Log lines, error texts, metrics and CLI outputs scanned for secret values. */
  readonly textsScanned: number;
  readonly valuesTracked: number;
}

/** What every part of a schedule writes to: the trace, the violations, the texts and values for the leak scan. */
interface ScheduleRecords {
  readonly trace: string[];
  readonly violations: Violation[];
  readonly texts: { source: string; text: string }[];
  readonly leaks: LeakDetector;
}

/**
 * One schedule: create a secret on a real target, rotate it one to three times through the
 * emulator's RotateSecret (the service: whole-rotation retries included) with faults
 * drawn from the seed at every injection point and the Lambda misbehaving around every
 * step, check the invariants after every step and rotation, then recover with faults off
 * (resume the stuck token as the service would, or `rotation repair` and rotate again) and
 * prove completion. Ends with a leak scan of everything written.
 */
export async function runSchedule(input: ScheduleInput): Promise<ScheduleResult> {
  const { seed, target, emulator, client } = input;
  const rng = mulberry32(seed);
  const records: ScheduleRecords = { trace: [], violations: [], texts: [], leaks: new LeakDetector() };
  const { trace, violations, texts, leaks } = records;
  const stepTimeoutMs = input.stepTimeoutMs ?? 400;
  const probability = input.probability ?? rng.pick(target.faultProbabilities ?? [0.03, 0.08, 0.15, 0.3]);
  const controller = faultController(input, probability, rng, trace);
  const name = `chaos-${target.name.replace(/[^a-zA-Z0-9]/g, '-')}-${seed}`;
  trace.push(`schedule seed=${seed} target=${target.name} faultProbability=${probability}`);
  for (const pin of input.pinned ?? []) trace.push(`  fault (pinned) ${pin.point}:${pin.nth}:${pin.kind}`);

  const { arn, extraSecrets, env } = await provisionSecret(input, name, rng, leaks);
  const operator = new Operator(
    { client, arn },
    target,
    new OperatorCli({ client, endpoint: emulator.endpoint, env, texts }),
    rng.fork('operator'),
    { trace, violations },
  );
  const underTest = buildFunctionUnderTest({ client, arn, name, target, env, controller, leaks, violations });
  const rotations = new ScheduleRotations({
    client,
    emulator,
    arn,
    name,
    target,
    fn: underTest.fn,
    logLines: underTest.logger.lines,
    taggedAtCreate: underTest.taggedAtCreate,
    operator,
    controller,
    rng,
    lambdaRng: rng.fork('lambda'),
    trace,
    violations,
    texts,
    stepTimeoutMs,
    calmTimeoutMs: Math.max(10_000, stepTimeoutMs * 10),
    verbose: input.verbose === true,
  });

  const rounds = rng.int(1, 3);
  for (let round = 1; round <= rounds; round += 1) {
    if (!(await faultedRound(rotations, operator, rng, records))) break;
  }
  await fulfilOutstandingEmergency(rotations, operator, records);
  if (target.topology) await healEveryNode(rotations, operator, records);

  await scanForLeaks(client, arn, name, underTest, records);
  if (input.runLeaks) leaks.copyTo(input.runLeaks);
  if (input.cleanUp !== false) {
    for (const id of [arn, ...extraSecrets])
      await client.send(new DeleteSecretCommand({ SecretId: id, ForceDeleteWithoutRecovery: true }));
  }

  return {
    seed,
    target: target.name,
    violations,
    trace,
    calls: controller.calls,
    faults: controller.faults,
    rotations: rotations.tokens.length,
    observations: rotations.observations,
    textsScanned: texts.length,
    valuesTracked: leaks.size,
  };
}

/** The faults of the schedule: pinned ones, or drawn from the seed's fork at `probability`. */
function faultController(
  input: ScheduleInput,
  probability: number,
  rng: Rng,
  trace: string[],
): FaultController {
  return new FaultController(
    {
      probability,
      ...(input.kinds ? { kinds: input.kinds } : {}),
      ...(input.pinned ? { pinned: input.pinned } : {}),
    },
    rng.fork('faults'),
    trace,
  );
}

/** The target's credentials (and any extra secrets it needs, such as an admin secret) and the secret itself. */
async function provisionSecret(
  { target, client, emulator }: ScheduleInput,
  name: string,
  rng: Rng,
  leaks: LeakDetector,
): Promise<{ arn: string; extraSecrets: readonly string[]; env: Env }> {
  const extraSecrets: string[] = [];
  const provisioned = await target.provision(
    name,
    rng.fork('provision'),
    async (extraName, secretString, tags) => {
      leaks.addSecretString(secretString, `${extraName} value`);
      const Tags = tags ? Object.entries(tags).map(([Key, Value]) => ({ Key, Value })) : undefined;
      const out = await client.send(
        new CreateSecretCommand({ Name: extraName, SecretString: secretString, ...(Tags ? { Tags } : {}) }),
      );
      extraSecrets.push(out.ARN as string);
      return out.ARN as string;
    },
  );
  leaks.addSecretString(provisioned.secretString, `${name} initial value`);
  const created = await client.send(
    new CreateSecretCommand({ Name: name, SecretString: provisioned.secretString }),
  );
  const env = {
    ...target.env,
    ...provisioned.env,
    SECRETS_MANAGER_ENDPOINT: emulator.endpoint,
    AWS_REGION: 'us-east-1',
  };
  return { arn: created.ARN as string, extraSecrets, env };
}

/**
 * One rotation with faults on, the operator declaring a leak before, during or after it;
 * when it fails, faults stop and a recovery must complete it (invariant 3). After a
 * completed rotation with the leak declared after it, late duplicates of completed tokens
 * arrive. False when the rotation did not complete: the schedule stops there.
 */
async function faultedRound(
  rotations: ScheduleRotations,
  operator: Operator,
  rng: Rng,
  { trace, violations }: ScheduleRecords,
): Promise<boolean> {
  const { tokens } = rotations;
  await rotations.startFaults();
  const moment = operator.pickMoment();
  if (moment === EmergencyMoment.before) await operator.declareLeak(moment);
  operator.tagDuring = moment === EmergencyMoment.during;
  operator.concurrentRotate = rng.chance(0.1);
  const abandonStep: Step | undefined = rng.chance(0.15) ? rng.pick(STEPS.slice(0, 3)) : undefined;
  rotations.phase = Phase.during;
  let ok = await rotations.rotateOnce(abandonStep);
  if (!ok) {
    // Faults stop; the rotation must complete (invariant 3).
    await rotations.stopFaults();
    // `repair` drops the pending value's label; a single-user kind without an admin credential
    // cannot come back from that once setSecret landed (see ChaosTarget.repairSafe), so it resumes.
    // `repair` checks the target first, so every kind may take it (the old blind repair could
    // not be used on single-user kinds once setSecret had landed).
    const recovery: Recovery = abandonStep !== undefined ? rng.pick(RECOVERY.slice(1)) : rng.pick(RECOVERY);
    trace.push(`recovery (${recovery}), faults off`);
    operator.tagDuring = false;
    operator.concurrentRotate = false;
    ok = await rotations.recover(recovery);
    if (!ok)
      violations.push({
        invariant: Invariant.completion,
        at: `rotation ${tokens.length} recovery (${recovery})`,
        detail: 'the rotation did not complete once faults stopped',
      });
  }
  rotations.phase = ok ? rotations.completedPhase() : Phase.during;
  await rotations.observeAt(`rotation ${tokens.length} end`);
  if (!ok) return false;
  await operator.checkLeaked(`rotation ${tokens.length} end`);
  if (moment === EmergencyMoment.after) {
    // The operator tags after the rotation completed; late duplicates of the completed
    // token arrive (the service does deliver them) and must not consume it.
    await operator.declareLeak(moment);
    for (const late of [tokens[tokens.length - 1], rng.pick(tokens)]) {
      if (late === undefined) continue;
      const step = rng.chance(0.6) ? 'finishSecret' : rng.pick(STEPS);
      await rotations.lateStep(step, late);
    }
  }
  return true;
}

/** An emergency still asked for: one calm rotation fulfils it, then the leak must be gone. */
async function fulfilOutstandingEmergency(
  rotations: ScheduleRotations,
  operator: Operator,
  { trace, violations }: ScheduleRecords,
): Promise<void> {
  if (operator.leaked.size === 0 || violations.some((v) => v.invariant === Invariant.completion)) return;
  const { tokens } = rotations;
  await rotations.stopFaults();
  operator.tagDuring = false;
  operator.concurrentRotate = false;
  trace.push('final: a calm rotation for the emergency still requested');
  rotations.phase = Phase.during;
  let ok = await rotations.rotateOnce();
  if (!ok) ok = await rotations.repairAndRotate('repair-finish');
  rotations.phase = ok ? rotations.completedPhase() : Phase.during;
  await rotations.observeAt(`rotation ${tokens.length} end (final)`);
  if (ok) await operator.checkLeaked(`rotation ${tokens.length} end (final)`);
  else
    violations.push({
      invariant: Invariant.completion,
      at: `rotation ${tokens.length} final`,
      detail: 'the emergency rotation did not complete once faults stopped',
    });
}

/**
 * Multi-node targets: every node back (a revoked password must fail there too), then a calm
 * rotation, which must heal every node that missed the last one.
 */
async function healEveryNode(
  rotations: ScheduleRotations,
  operator: Operator,
  { trace, violations }: ScheduleRecords,
): Promise<void> {
  if (violations.some((v) => v.invariant === Invariant.completion)) return;
  const { tokens } = rotations;
  operator.tagDuring = false;
  operator.concurrentRotate = false;
  await rotations.stopFaults();
  await rotations.observeAt(`rotation ${tokens.length} end, every node back`);
  trace.push('final: a calm rotation heals the nodes that missed one');
  rotations.phase = Phase.during;
  const ok = await rotations.rotateOnce();
  rotations.phase = ok ? rotations.completedPhase() : Phase.during;
  await rotations.observeAt(`rotation ${tokens.length} end (healing)`);
  if (!ok)
    violations.push({
      invariant: Invariant.completion,
      at: `rotation ${tokens.length} healing`,
      detail: 'the rotation after every node came back did not complete',
    });
}

/** Invariant 5: every value the emulator holds, scanned for in everything written. */
async function scanForLeaks(
  client: SecretsManagerClient,
  arn: string,
  name: string,
  { logger, metrics }: FunctionUnderTest,
  { texts, leaks, violations }: ScheduleRecords,
): Promise<void> {
  const versions = await client.send(
    new ListSecretVersionIdsCommand({ SecretId: arn, IncludeDeprecated: true }),
  );
  for (const version of versions.Versions ?? []) {
    const value = await client
      .send(new GetSecretValueCommand({ SecretId: arn, VersionId: version.VersionId }))
      .catch(() => undefined);
    if (value?.SecretString)
      leaks.addSecretString(value.SecretString, `${name} version ${version.VersionId}`);
  }
  texts.push(...logger.lines.map((text) => ({ source: 'log line', text })));
  texts.push({ source: 'metrics', text: JSON.stringify(metrics.records) });
  for (const { source, text } of texts) {
    for (const finding of leaks.scan(source, text)) {
      violations.push({
        invariant: Invariant.noLeak,
        at: finding.source,
        detail: `${finding.valueOrigin} appears: ${finding.excerpt}`,
      });
    }
  }
}
