import { randomUUID } from 'node:crypto';
import {
  CreateSecretCommand,
  DeleteSecretCommand,
  DescribeSecretCommand,
  GetSecretValueCommand,
  ListSecretVersionIdsCommand,
  RotateSecretCommand,
  type SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { STEPS, type Step } from '../../shared/constants.ts';
import { isRotationError } from '../../shared/errors.ts';
import { buildRotationFunction } from '../../shared/rotation-function.ts';
import { createMemoryLog, createMemoryMetrics } from '../testbed/memory-observability.ts';
import { createSdkSecretsPort } from '../../shared/sdk-secrets-port.ts';
import type { SecretsPort } from '../../shared/secrets-port.ts';
import { createChaosLambda, describe, runStep } from './chaos-lambda.ts';
import { FaultController, type FaultKind, type PinnedFault } from './fault-controller.ts';
import { injectFaults, secretsPortError } from './fault-injector.ts';
import { EMERGENCY_STAGE } from '../../shared/rotation-progress.ts';
import { EmergencyMoment, Operator } from './operator-actors.ts';
import { Invariant, Phase, checkObservation, observe, type Violation } from './invariants.ts';
import { errorText, LeakDetector } from './leak-detector.ts';
import { mulberry32 } from './prng.ts';
import type { ChaosTarget } from './targets/chaos-target.ts';

/** The parts of the emulator a schedule uses (scripts/emulator/index.ts provides them). */
export interface EmulatorLike {
  readonly endpoint: string;
  registerFunction(name: string, target: (event: unknown) => Promise<unknown>): string;
  waitForRotation(secretIdOrArn: string): Promise<{
    readonly outcome: string;
    readonly attempts: number;
    readonly steps: readonly { readonly error?: { readonly message: string } }[];
  }>;
}

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

const RECOVERY = ['resume', 'repair', 'repair-finish', 'repair-rollback'] as const;
type Recovery = (typeof RECOVERY)[number];

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
  const trace: string[] = [];
  const violations: Violation[] = [];
  const leaks = new LeakDetector();
  const texts: { source: string; text: string }[] = [];
  const stepTimeoutMs = input.stepTimeoutMs ?? 400;
  const calmTimeoutMs = Math.max(10_000, stepTimeoutMs * 10);
  const probability = input.probability ?? rng.pick(target.faultProbabilities ?? [0.03, 0.08, 0.15, 0.3]);
  const controller = new FaultController(
    {
      probability,
      ...(input.kinds ? { kinds: input.kinds } : {}),
      ...(input.pinned ? { pinned: input.pinned } : {}),
    },
    rng.fork('faults'),
    trace,
  );
  const name = `chaos-${target.name.replace(/[^a-zA-Z0-9]/g, '-')}-${seed}`;
  trace.push(`schedule seed=${seed} target=${target.name} faultProbability=${probability}`);
  for (const pin of input.pinned ?? []) trace.push(`  fault (pinned) ${pin.point}:${pin.nth}:${pin.kind}`);

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
  const arn = created.ARN as string;

  const env = {
    ...target.env,
    ...provisioned.env,
    SECRETS_MANAGER_ENDPOINT: emulator.endpoint,
    AWS_REGION: 'us-east-1',
  };
  const operator = new Operator({
    client,
    endpoint: emulator.endpoint,
    arn,
    target,
    env,
    rng: rng.fork('operator'),
    trace,
    violations,
    texts,
  });
  // Whether the tag was on the secret when each token's createSecret stored its value: the
  // emergency intent that rotation must carry (the operator only tags between steps).
  const taggedAtCreate = new Map<string, boolean>();

  // The function under test: its Secrets Manager port and target ports wrapped for faults.
  const logger = createMemoryLog();
  const metrics = createMemoryMetrics();
  const sdkPort = createSdkSecretsPort(client);
  // Every method async, so every call (the first included) is an injection point.
  const recording: SecretsPort = {
    describeSecret: async (id) => sdkPort.describeSecret(id),
    getSecretValue: async (i) => sdkPort.getSecretValue(i),
    putSecretValue: async (i) => {
      leaks.addSecretString(i.SecretString.reveal(), `${name} value put for version ${i.ClientRequestToken}`);
      const tags = (await client.send(new DescribeSecretCommand({ SecretId: arn }))).Tags ?? [];
      const tagged = tags.some((tag) => tag.Key === 'RotationMode' && tag.Value === 'emergency');
      const labelled = i.VersionStages.includes(EMERGENCY_STAGE);
      if (tagged !== labelled && !taggedAtCreate.has(i.ClientRequestToken))
        violations.push({
          invariant: Invariant.emergency,
          at: `createSecret ${i.ClientRequestToken.slice(0, 8)}`,
          detail: `the pending value was stored ${labelled ? 'with' : 'without'} the emergency label while the tag was ${tagged ? 'set' : 'absent'}`,
        });
      taggedAtCreate.set(i.ClientRequestToken, labelled);
      return sdkPort.putSecretValue(i);
    },
    updateSecretVersionStage: async (i) => sdkPort.updateSecretVersionStage(i),
    listSecretVersionIds: async (id) => sdkPort.listSecretVersionIds(id),
    getRandomPassword: async (i) => {
      const value = await sdkPort.getRandomPassword(i);
      leaks.add(value.reveal(), `${name} generated password`);
      return value;
    },
    tagResource: async (id, tags) => sdkPort.tagResource(id, tags),
    untagResource: async (id, keys) => sdkPort.untagResource(id, keys),
  };
  const secrets = injectFaults('secrets', recording, controller, { errorFor: secretsPortError });
  const definition = target.definition(
    (portName, port, options) => injectFaults(portName, port, controller, options ?? {}),
    env,
  );
  const fn = buildRotationFunction(definition, { env, secrets, logger, metrics });

  let observations = 0;
  let phase: Phase = Phase.completed;
  let replaced: string | undefined;
  const observeAt = async (at: string): Promise<void> => {
    observations += 1;
    const observation = await observe(client, arn, target, replaced, { phase, at, logLines: logger.lines });
    const found = checkObservation(observation, target.model, phase, at);
    if (input.verbose) {
      const labels = Object.entries(observation.labels)
        .map(([id, stages]) => `${id.slice(0, 8)}=[${stages.join(',')}]`)
        .join(' ');
      const works = Object.entries(observation.works)
        .filter(([, value]) => value !== undefined)
        .map(([label, value]) => `${label}:${value ? 'works' : 'refused'}`)
        .join(' ');
      trace.push(`    observed (${phase}): ${labels}; ${works}`);
    }
    for (const violation of found)
      trace.push(`  VIOLATION ${violation.invariant} at ${at}: ${violation.detail}`);
    violations.push(...found);
    await operator.checkStatus(observation, at);
  };
  const tokens: string[] = [];
  const onError = (error: unknown, label: string): void => {
    texts.push({ source: `error (${label})`, text: errorText(error) });
    const expected =
      isRotationError(error) ||
      (error instanceof Error && (error.name === 'Sandbox.Timedout' || /abandoned/.test(error.message)));
    if (!expected)
      violations.push({
        invariant: Invariant.noLeak,
        at: label,
        detail: `step failed with ${describe(error)}, not a RotationError with a stable code`,
      });
  };
  const lambda = createChaosLambda({
    fn,
    rng: rng.fork('lambda'),
    trace,
    stepTimeoutMs,
    calmTimeoutMs,
    oldTokens: () => tokens.slice(0, -1),
    observe: async (label) => {
      await observeAt(`rotation ${tokens.length} ${label}`);
      if (!lambda.calm) await operator.betweenSteps(label);
      if (!lambda.calm) await target.topology?.betweenSteps(trace);
    },
    onError,
    duplicateChance: 0.15,
    stepRetryChance: 0.4,
    lateChance: 0.1,
  });
  const functionArn = emulator.registerFunction(`${name}-fn`.slice(0, 64), lambda);
  // Whether the rotation that completes last was an emergency one: the tag as it was when that
  // rotation started (a stuck emergency rotation may already have done its revocation and
  // removed the tag, and then the repair rotation is a normal one).
  let rotationIsEmergency = false;
  // The last rotation completed as an emergency one when its createSecret stored the value
  // while the tag was set (or when `repair --finish` ran an emergency rotation of its own).
  const completedPhase = (): Phase => {
    const last = tokens[tokens.length - 1];
    const emergency = rotationIsEmergency || (last !== undefined && taggedAtCreate.get(last) === true);
    return emergency ? Phase.completedEmergency : Phase.completed;
  };
  const rotateOnce = async (abandonStep?: Step): Promise<boolean> => {
    // The credential this rotation replaces: what revocation (invariant 4) is judged on.
    replaced = (await client.send(new GetSecretValueCommand({ SecretId: arn, VersionStage: 'AWSCURRENT' })))
      .SecretString;
    const token = randomUUID();
    tokens.push(token);
    trace.push(`rotation ${tokens.length}: RotateSecret token=${token.slice(0, 8)}`);
    if (abandonStep !== undefined) {
      lambda.abandonAfter(token, abandonStep);
      trace.push(`  rotation ${tokens.length} will be abandoned after ${abandonStep}`);
    }
    try {
      await client.send(
        new RotateSecretCommand({
          SecretId: arn,
          ClientRequestToken: token,
          RotationLambdaARN: functionArn,
          RotationRules: { AutomaticallyAfterDays: 90 },
        }),
      );
    } catch (error) {
      trace.push(`  RotateSecret refused: ${describe(error)}`);
      tokens.pop();
      return false;
    }
    let record = await emulator.waitForRotation(arn);
    // A concurrent RotateSecret the service accepted: wait for that one too, then judge by ours.
    while (operator.concurrentTokens.length > 0) {
      const other = operator.concurrentTokens.shift() as string;
      tokens.push(other);
      trace.push(`  waiting for the concurrent rotation ${other.slice(0, 8)}`);
      record = await emulator.waitForRotation(arn);
    }
    rotationIsEmergency = false;
    for (const step of record.steps)
      if (step.error) texts.push({ source: 'emulator rotation record', text: step.error.message });
    trace.push(`  rotation ${tokens.length} ${record.outcome} after ${record.attempts} attempt(s)`);
    return record.outcome === 'succeeded';
  };

  const rounds = rng.int(1, 3);
  for (let round = 1; round <= rounds; round += 1) {
    controller.enabled = true;
    lambda.calm = false;
    await target.topology?.beforeRotation(trace);
    const moment = operator.pickMoment();
    if (moment === EmergencyMoment.before) await operator.declareLeak(moment);
    operator.tagDuring = moment === EmergencyMoment.during;
    operator.concurrentRotate = rng.chance(0.1);
    const abandonStep: Step | undefined = rng.chance(0.15) ? rng.pick(STEPS.slice(0, 3)) : undefined;
    phase = Phase.during;
    let ok = await rotateOnce(abandonStep);
    if (!ok) {
      // Faults stop; the rotation must complete (invariant 3).
      controller.enabled = false;
      lambda.calm = true;
      await target.topology?.restore(trace);
      // `repair` drops the pending value's label; a single-user kind without an admin credential
      // cannot come back from that once setSecret landed (see ChaosTarget.repairSafe), so it resumes.
      // `repair` checks the target first, so every kind may take it (the old blind repair could
      // not be used on single-user kinds once setSecret had landed).
      const recovery: Recovery = abandonStep !== undefined ? rng.pick(RECOVERY.slice(1)) : rng.pick(RECOVERY);
      trace.push(`recovery (${recovery}), faults off`);
      operator.tagDuring = false;
      operator.concurrentRotate = false;
      ok = recovery === 'resume' ? await resume(tokens[tokens.length - 1]) : await repairAndRotate(recovery);
      if (!ok)
        violations.push({
          invariant: Invariant.completion,
          at: `rotation ${tokens.length} recovery (${recovery})`,
          detail: 'the rotation did not complete once faults stopped',
        });
    }
    phase = ok ? completedPhase() : Phase.during;
    await observeAt(`rotation ${tokens.length} end`);
    if (!ok) break;
    await operator.checkLeaked(`rotation ${tokens.length} end`);
    if (moment === EmergencyMoment.after) {
      // The operator tags after the rotation completed; late duplicates of the completed
      // token arrive (the service does deliver them) and must not consume it.
      await operator.declareLeak(moment);
      for (const late of [tokens[tokens.length - 1], rng.pick(tokens)]) {
        if (late === undefined) continue;
        const step = rng.chance(0.6) ? 'finishSecret' : rng.pick(STEPS);
        const result = await runStep(
          fn,
          { Step: step, SecretId: arn, ClientRequestToken: late },
          calmTimeoutMs,
        );
        trace.push(
          `  late duplicate ${step} ${late.slice(0, 8)} -> ${result.ok ? 'ok' : describe(result.error)}`,
        );
        if (!result.ok) onError(result.error, `late duplicate ${step}`);
        await observeAt(`rotation ${tokens.length} after late ${step}`);
      }
    }
  }
  // An emergency still asked for: one calm rotation fulfils it, then the leak must be gone.
  if (operator.leaked.size > 0 && violations.every((v) => v.invariant !== Invariant.completion)) {
    controller.enabled = false;
    lambda.calm = true;
    await target.topology?.restore(trace);
    operator.tagDuring = false;
    operator.concurrentRotate = false;
    trace.push('final: a calm rotation for the emergency still requested');
    phase = Phase.during;
    let ok = await rotateOnce();
    if (!ok) ok = await repairAndRotate('repair-finish');
    phase = ok ? completedPhase() : Phase.during;
    await observeAt(`rotation ${tokens.length} end (final)`);
    if (ok) await operator.checkLeaked(`rotation ${tokens.length} end (final)`);
    else
      violations.push({
        invariant: Invariant.completion,
        at: `rotation ${tokens.length} final`,
        detail: 'the emergency rotation did not complete once faults stopped',
      });
  }
  // Multi-node targets: every node back (a revoked password must fail there too), then a calm
  // rotation, which must heal every node that missed the last one.
  if (target.topology && violations.every((v) => v.invariant !== Invariant.completion)) {
    controller.enabled = false;
    lambda.calm = true;
    operator.tagDuring = false;
    operator.concurrentRotate = false;
    await target.topology.restore(trace);
    await observeAt(`rotation ${tokens.length} end, every node back`);
    trace.push('final: a calm rotation heals the nodes that missed one');
    phase = Phase.during;
    const ok = await rotateOnce();
    phase = ok ? completedPhase() : Phase.during;
    await observeAt(`rotation ${tokens.length} end (healing)`);
    if (!ok)
      violations.push({
        invariant: Invariant.completion,
        at: `rotation ${tokens.length} healing`,
        detail: 'the rotation after every node came back did not complete',
      });
  }

  async function resume(token: string | undefined): Promise<boolean> {
    if (token === undefined) return false;
    trace.push(`recovery: resume token ${token.slice(0, 8)} (the service reattempts the rotation)`);
    for (const step of STEPS) {
      const result = await runStep(
        fn,
        { Step: step, SecretId: arn, ClientRequestToken: token },
        calmTimeoutMs,
      );
      trace.push(`  resume ${step} -> ${result.ok ? 'ok' : describe(result.error)}`);
      if (!result.ok) {
        onError(result.error, `resume ${step}`);
        return false;
      }
      await observeAt(`recovery resume after ${step}`);
    }
    return true;
  }

  /**
   * The operator's `rotation repair`, which checks the target first: plain (clears a stale
   * AWSPENDING when AWSCURRENT logs in, else asks for a choice), --finish or --rollback.
   * Then a new rotation, unless repair itself finished the rotation or an emergency.
   */
  async function repairAndRotate(recovery: Exclude<Recovery, 'resume'>): Promise<boolean> {
    const first = await operator.cli(['repair', arn, '--yes', ...repairFlag(recovery)]);
    let action = String(first.json?.['action'] ?? '');
    trace.push(
      `recovery: rotation repair ${repairFlag(recovery).join(' ')} --yes -> exit ${first.code} (${action})`,
    );
    if (action === 'choice-needed') {
      const flag = recovery === 'repair-rollback' ? '--rollback' : rng.pick(['--finish', '--rollback']);
      const emergencyFix = first.json?.['emergency'] === 'unfinished';
      const second = await operator.cli(['repair', arn, '--yes', emergencyFix ? '--finish' : flag]);
      action = String(second.json?.['action'] ?? '');
      trace.push(
        `recovery: rotation repair ${emergencyFix ? '--finish' : flag} --yes -> exit ${second.code} (${action})`,
      );
    }
    await observeAt('recovery after repair');
    if (action === 'emergency-finished') {
      rotationIsEmergency = true;
      return true;
    }
    if (!['cleared', 'finished', 'rolled-back', 'none'].includes(action)) {
      trace.push('recovery: repair did not clear the way; resuming the stuck token instead');
      return resume(tokens[tokens.length - 1]);
    }
    return rotateOnce();
  }

  // Invariant 5: every value the emulator holds, scanned for in everything written.
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
    rotations: tokens.length,
    observations,
    textsScanned: texts.length,
    valuesTracked: leaks.size,
  };
}

function repairFlag(recovery: Exclude<Recovery, 'resume'>): string[] {
  if (recovery === 'repair-finish') return ['--finish'];
  if (recovery === 'repair-rollback') return ['--rollback'];
  return [];
}
