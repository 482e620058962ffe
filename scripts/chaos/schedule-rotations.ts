import { randomUUID } from 'node:crypto';
import {
  GetSecretValueCommand,
  RotateSecretCommand,
  type SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { STEPS, type Step } from '../../shared/constants.ts';
import { isRotationError } from '../../shared/errors.ts';
import type { BuiltFunction } from '../../shared/rotation-function.ts';
import { createChaosLambda, describe, runStep, type ChaosLambda } from './chaos-lambda.ts';
import type { FaultController } from './fault-controller.ts';
import { Invariant, Phase, checkObservation, observe, type Violation } from './invariants.ts';
import { errorText } from './leak-detector.ts';
import type { Operator } from './operator-actors.ts';
import type { Rng } from './prng.ts';
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

export const RECOVERY = ['resume', 'repair', 'repair-finish', 'repair-rollback'] as const;
export type Recovery = (typeof RECOVERY)[number];

export interface ScheduleRotationsOptions {
  readonly client: SecretsManagerClient;
  readonly emulator: EmulatorLike;
  readonly arn: string;
  /** The schedule's secret name: the registered function is named after it. */
  readonly name: string;
  readonly target: ChaosTarget;
  readonly fn: BuiltFunction;
  /** The function's log lines so far: the observer may read what it warned about. */
  readonly logLines: readonly string[];
  readonly taggedAtCreate: ReadonlyMap<string, boolean>;
  readonly operator: Operator;
  readonly controller: FaultController;
  /** The schedule's own generator (recovery choices) and the Lambda's fork. */
  readonly rng: Rng;
  readonly lambdaRng: Rng;
  readonly trace: string[];
  readonly violations: Violation[];
  /** Error texts for the leak scan. */
  readonly texts: { source: string; text: string }[];
  readonly stepTimeoutMs: number;
  readonly calmTimeoutMs: number;
  readonly verbose: boolean;
}

/**
 * The rotations of one schedule and what watches them: RotateSecret through the emulator
 * (the service) with the chaos Lambda registered as the rotation function, the observation
 * and invariant check after every step, and the recoveries an operator or the service
 * performs once faults stop (resume the stuck token, `rotation repair`, rotate again).
 */
export class ScheduleRotations {
  readonly tokens: string[] = [];
  observations = 0;
  /** What the invariants expect of the labels now. */
  phase: Phase = Phase.completed;
  readonly lambda: ChaosLambda;
  readonly #options: ScheduleRotationsOptions;
  readonly #functionArn: string;
  /** The credential the running rotation replaces: what revocation (invariant 4) is judged on. */
  #replaced: string | undefined;
  /**
   * Whether the rotation that completes last was an emergency one: the tag as it was when that
   * rotation started (a stuck emergency rotation may already have done its revocation and
   * removed the tag, and then the repair rotation is a normal one).
   */
  #rotationIsEmergency = false;

  constructor(options: ScheduleRotationsOptions) {
    this.#options = options;
    const { fn, operator } = options;
    this.lambda = createChaosLambda({
      fn,
      rng: options.lambdaRng,
      trace: options.trace,
      stepTimeoutMs: options.stepTimeoutMs,
      calmTimeoutMs: options.calmTimeoutMs,
      oldTokens: () => this.tokens.slice(0, -1),
      observe: async (label) => {
        await this.observeAt(`rotation ${this.tokens.length} ${label}`);
        if (!this.lambda.calm) await operator.betweenSteps(label);
        if (!this.lambda.calm) await options.target.topology?.betweenSteps(options.trace);
      },
      onError: (error, label) => this.onError(error, label),
      duplicateChance: 0.15,
      stepRetryChance: 0.4,
      lateChance: 0.1,
    });
    this.#functionArn = options.emulator.registerFunction(`${options.name}-fn`.slice(0, 64), this.lambda);
  }

  /** Faults on and the Lambda wild; a multi-node target may stop a node before the rotation. */
  async startFaults(): Promise<void> {
    this.#options.controller.enabled = true;
    this.lambda.calm = false;
    await this.#options.target.topology?.beforeRotation(this.#options.trace);
  }

  /** Faults off, the Lambda calm, and every node of a multi-node target running again. */
  async stopFaults(): Promise<void> {
    this.#options.controller.enabled = false;
    this.lambda.calm = true;
    await this.#options.target.topology?.restore(this.#options.trace);
  }

  /** Observe the labels and credentials, check the invariants, and let the operator check `status`. */
  async observeAt(at: string): Promise<void> {
    const { client, arn, target, trace, violations, operator } = this.#options;
    this.observations += 1;
    const observation = await observe(client, arn, target, this.#replaced, {
      phase: this.phase,
      at,
      logLines: this.#options.logLines,
    });
    const found = checkObservation(observation, target.model, this.phase, at);
    if (this.#options.verbose) {
      const labels = Object.entries(observation.labels)
        .map(([id, stages]) => `${id.slice(0, 8)}=[${stages.join(',')}]`)
        .join(' ');
      const works = Object.entries(observation.works)
        .filter(([, value]) => value !== undefined)
        .map(([label, value]) => `${label}:${value ? 'works' : 'refused'}`)
        .join(' ');
      trace.push(`    observed (${this.phase}): ${labels}; ${works}`);
    }
    for (const violation of found)
      trace.push(`  VIOLATION ${violation.invariant} at ${at}: ${violation.detail}`);
    violations.push(...found);
    await operator.checkStatus(observation, at);
  }

  /** A failed step: its text goes to the leak scan; anything but a coded or Lambda error is a violation. */
  onError(error: unknown, label: string): void {
    this.#options.texts.push({ source: `error (${label})`, text: errorText(error) });
    const expected =
      isRotationError(error) ||
      (error instanceof Error && (error.name === 'Sandbox.Timedout' || /abandoned/.test(error.message)));
    if (!expected)
      this.#options.violations.push({
        invariant: Invariant.noLeak,
        at: label,
        detail: `step failed with ${describe(error)}, not a RotationError with a stable code`,
      });
  }

  /**
   * The phase after a completed rotation: emergency when its createSecret stored the value
   * while the tag was set (or when `repair --finish` ran an emergency rotation of its own).
   */
  completedPhase(): Phase {
    const last = this.tokens[this.tokens.length - 1];
    const emergency =
      this.#rotationIsEmergency || (last !== undefined && this.#options.taggedAtCreate.get(last) === true);
    return emergency ? Phase.completedEmergency : Phase.completed;
  }

  /** One RotateSecret with a new token, waited for (and any concurrent one the operator started). */
  async rotateOnce(abandonStep?: Step): Promise<boolean> {
    const { client, arn, emulator, operator, trace, texts } = this.#options;
    const { tokens } = this;
    this.#replaced = (
      await client.send(new GetSecretValueCommand({ SecretId: arn, VersionStage: 'AWSCURRENT' }))
    ).SecretString;
    const token = randomUUID();
    tokens.push(token);
    trace.push(`rotation ${tokens.length}: RotateSecret token=${token.slice(0, 8)}`);
    if (abandonStep !== undefined) {
      this.lambda.abandonAfter(token, abandonStep);
      trace.push(`  rotation ${tokens.length} will be abandoned after ${abandonStep}`);
    }
    try {
      await client.send(
        new RotateSecretCommand({
          SecretId: arn,
          ClientRequestToken: token,
          RotationLambdaARN: this.#functionArn,
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
    this.#rotationIsEmergency = false;
    for (const step of record.steps)
      if (step.error) texts.push({ source: 'emulator rotation record', text: step.error.message });
    trace.push(`  rotation ${tokens.length} ${record.outcome} after ${record.attempts} attempt(s)`);
    return record.outcome === 'succeeded';
  }

  /** One step of an old token, as the service's late delivery would run it (faults off). */
  async lateStep(step: Step, token: string): Promise<void> {
    const { fn, arn, trace, calmTimeoutMs } = this.#options;
    const result = await runStep(fn, { Step: step, SecretId: arn, ClientRequestToken: token }, calmTimeoutMs);
    trace.push(
      `  late duplicate ${step} ${token.slice(0, 8)} -> ${result.ok ? 'ok' : describe(result.error)}`,
    );
    if (!result.ok) this.onError(result.error, `late duplicate ${step}`);
    await this.observeAt(`rotation ${this.tokens.length} after late ${step}`);
  }

  /** Bring a stuck rotation to completion the way the chosen recovery does. */
  recover(recovery: Recovery): Promise<boolean> {
    return recovery === 'resume'
      ? this.resume(this.tokens[this.tokens.length - 1])
      : this.repairAndRotate(recovery);
  }

  /** The service reattempts the rotation: every step of the stuck token again. */
  async resume(token: string | undefined): Promise<boolean> {
    const { fn, arn, trace, calmTimeoutMs } = this.#options;
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
        this.onError(result.error, `resume ${step}`);
        return false;
      }
      await this.observeAt(`recovery resume after ${step}`);
    }
    return true;
  }

  /**
   * The operator's `rotation repair`, which checks the target first: plain (clears a stale
   * AWSPENDING when AWSCURRENT logs in, else asks for a choice), --finish or --rollback.
   * Then a new rotation, unless repair itself finished the rotation or an emergency.
   */
  async repairAndRotate(recovery: Exclude<Recovery, 'resume'>): Promise<boolean> {
    const { arn, operator, rng, trace } = this.#options;
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
    await this.observeAt('recovery after repair');
    if (action === 'emergency-finished') {
      this.#rotationIsEmergency = true;
      return true;
    }
    if (!['cleared', 'finished', 'rolled-back', 'none'].includes(action)) {
      trace.push('recovery: repair did not clear the way; resuming the stuck token instead');
      return this.resume(this.tokens[this.tokens.length - 1]);
    }
    return this.rotateOnce();
  }
}

function repairFlag(recovery: Exclude<Recovery, 'resume'>): string[] {
  if (recovery === 'repair-finish') return ['--finish'];
  if (recovery === 'repair-rollback') return ['--rollback'];
  return [];
}
