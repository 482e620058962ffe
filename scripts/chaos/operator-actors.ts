import {
  DescribeSecretCommand,
  GetSecretValueCommand,
  RotateSecretCommand,
  TagResourceCommand,
  type SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { randomUUID } from 'node:crypto';
import type { Env } from '../../shared/config.ts';
import { emergencyStateOf } from '../../shared/rotation-progress.ts';
import { createMemoryOutput } from '../cli/output.ts';
import { runCli } from '../cli/run-cli.ts';
import { describe } from './chaos-lambda.ts';
import { Invariant, type Observation, type Violation } from './invariants.ts';
import type { Rng } from './prng.ts';
import type { ChaosTarget } from './targets/chaos-target.ts';

/**
 * The operator, modelled beside the faults: tags a secret for an emergency at random
 * moments (before, during, after a rotation), starts RotateSecret while one runs, runs
 * `rotation status` and `rotation repair` (plain, --finish, --rollback) after failures.
 *
 * Invariants these add:
 * - emergency: a credential the operator marked leaked (AWSCURRENT when the tag was set)
 *   stops working once the secret shows no emergency left (no tag, no RotationEmergency
 *   label on AWSCURRENT); while one is left, `status` says so.
 * - status: `status` never exits 0 while AWSCURRENT does not log in.
 */

export const EmergencyMoment = {
  none: 'none',
  before: 'before',
  during: 'during',
  after: 'after',
} as const;
export type EmergencyMoment = (typeof EmergencyMoment)[keyof typeof EmergencyMoment];

/** The secret the operator acts on, read and tagged through an unfaulted client. */
export interface OperatorSecret {
  readonly client: SecretsManagerClient;
  readonly arn: string;
}

/** Where the operator's findings go. */
export interface OperatorRecords {
  readonly trace: string[];
  readonly violations: Violation[];
}

/** What the operator needs of the target: whether it honours emergencies, and a login check. */
export type OperatorTarget = Pick<ChaosTarget, 'emergency' | 'authenticates'>;

export interface OperatorCliOptions {
  readonly client: SecretsManagerClient;
  /** The emulator's endpoint (`--endpoint-url`). */
  readonly endpoint: string;
  /** The function's env, for the CLI's credential probes. */
  readonly env: Env;
  /** Every CLI output, for the leak scan. */
  readonly texts: { source: string; text: string }[];
}

/** The `rotation` CLI as the operator runs it: against the emulator, every output kept for the leak scan. */
export class OperatorCli {
  readonly #options: OperatorCliOptions;

  constructor(options: OperatorCliOptions) {
    this.#options = options;
  }

  /** `rotation <argv> --endpoint-url <emulator> --json`, with the function's env for the probes. */
  async run(argv: readonly string[]): Promise<{ code: number; json: Record<string, unknown> | undefined }> {
    const { client, endpoint, env, texts } = this.#options;
    const out = createMemoryOutput();
    const code = await runCli([...argv, '--endpoint-url', endpoint, '--json'], { env, out, client });
    texts.push({ source: `CLI ${argv[0] ?? ''} output`, text: out.text() });
    let json: Record<string, unknown> | undefined;
    try {
      json = JSON.parse(out.stdoutText()) as Record<string, unknown>;
    } catch {
      json = undefined;
    }
    return { code, json };
  }
}

export class Operator {
  readonly #secret: OperatorSecret;
  readonly #target: OperatorTarget;
  readonly #cli: OperatorCli;
  readonly #rng: Rng;
  readonly #records: OperatorRecords;
  /** Values of AWSCURRENT at the moments the operator declared a leak. */
  readonly leaked = new Map<string, string>();
  /** Tag at the next observation during this rotation (the "during" moment). */
  tagDuring = false;
  /** Start RotateSecret while this rotation runs, at most once per rotation. */
  concurrentRotate = false;
  readonly concurrentTokens: string[] = [];

  constructor(
    secret: OperatorSecret,
    target: OperatorTarget,
    cli: OperatorCli,
    rng: Rng,
    records: OperatorRecords,
  ) {
    this.#secret = secret;
    this.#target = target;
    this.#cli = cli;
    this.#rng = rng;
    this.#records = records;
  }

  pickMoment(): EmergencyMoment {
    if (!this.#target.emergency) return EmergencyMoment.none;
    const roll = this.#rng.next();
    if (roll < 0.15) return EmergencyMoment.before;
    if (roll < 0.3) return EmergencyMoment.during;
    if (roll < 0.45) return EmergencyMoment.after;
    return EmergencyMoment.none;
  }

  /** Declare AWSCURRENT leaked and tag the secret RotationMode=emergency. */
  async declareLeak(moment: EmergencyMoment): Promise<void> {
    const { client, arn } = this.#secret;
    const { trace } = this.#records;
    const current = await client.send(
      new GetSecretValueCommand({ SecretId: arn, VersionStage: 'AWSCURRENT' }),
    );
    if (current.SecretString !== undefined && current.VersionId !== undefined)
      this.leaked.set(current.VersionId, current.SecretString);
    await client.send(
      new TagResourceCommand({ SecretId: arn, Tags: [{ Key: 'RotationMode', Value: 'emergency' }] }),
    );
    trace.push(
      `  operator: tagged RotationMode=emergency (${moment}); leaked AWSCURRENT ${current.VersionId?.slice(0, 8) ?? '?'}`,
    );
  }

  /** Between two steps of a rotation: the "during" tag and a concurrent RotateSecret. */
  async betweenSteps(label: string): Promise<void> {
    const { client, arn } = this.#secret;
    const rng = this.#rng;
    const { trace } = this.#records;
    if (this.tagDuring && rng.chance(0.4)) {
      this.tagDuring = false;
      await this.declareLeak(EmergencyMoment.during);
    }
    if (this.concurrentRotate && rng.chance(0.3) && !/finishSecret/.test(label)) {
      this.concurrentRotate = false;
      const token = randomUUID();
      try {
        await client.send(new RotateSecretCommand({ SecretId: arn, ClientRequestToken: token }));
        this.concurrentTokens.push(token);
        trace.push(`  operator: concurrent RotateSecret ${token.slice(0, 8)} accepted`);
      } catch (error) {
        trace.push(`  operator: concurrent RotateSecret refused (${describe(error)})`);
      }
    }
  }

  /** Run the `rotation` CLI (OperatorCli.run): status here, repair for the schedule's recoveries. */
  async cli(argv: readonly string[]): Promise<{ code: number; json: Record<string, unknown> | undefined }> {
    return await this.#cli.run(argv);
  }

  /** The status invariant on one observation: never healthy while AWSCURRENT does not log in. */
  async checkStatus(observation: Observation, at: string): Promise<void> {
    const { arn } = this.#secret;
    const { violations, trace } = this.#records;
    if (observation.works.current !== false) return;
    const { code, json } = await this.cli(['status', arn]);
    const row = (json?.['secrets'] as { problems?: unknown[] }[] | undefined)?.[0];
    const healthy = code === 0 || (row !== undefined && (row.problems?.length ?? 0) === 0);
    if (healthy) {
      violations.push({
        invariant: Invariant.status,
        at,
        detail: `status exits ${code} and reports no problem while AWSCURRENT does not log in`,
      });
      trace.push(`  VIOLATION status at ${at}`);
    }
  }

  /**
   * The emergency invariant, at the end of a rotation or recovery: with no emergency left
   * on the secret, every leaked credential must be refused; with one left, status says so.
   */
  async checkLeaked(at: string): Promise<void> {
    const { client, arn } = this.#secret;
    const { violations, trace } = this.#records;
    if (this.leaked.size === 0) return;
    const described = await client.send(new DescribeSecretCommand({ SecretId: arn }));
    const tags = Object.fromEntries((described.Tags ?? []).map((tag) => [tag.Key ?? '', tag.Value ?? '']));
    const state = emergencyStateOf(described.VersionIdsToStages ?? {}, tags);
    if (state.state !== 'none') {
      const { json } = await this.cli(['status', arn]);
      const row = (json?.['secrets'] as { emergency?: string }[] | undefined)?.[0];
      if (row?.emergency === undefined || row.emergency === 'none') {
        violations.push({
          invariant: Invariant.emergency,
          at,
          detail: `an emergency is left (${state.state}) but status shows none`,
        });
      }
      trace.push(
        `  operator: emergency still ${state.state} at ${at}; status shows ${row?.emergency ?? '?'}`,
      );
      return;
    }
    const current = await client.send(
      new GetSecretValueCommand({ SecretId: arn, VersionStage: 'AWSCURRENT' }),
    );
    const previous = await client
      .send(new GetSecretValueCommand({ SecretId: arn, VersionStage: 'AWSPREVIOUS' }))
      .catch(() => undefined);
    const view = { current: current.SecretString, previous: previous?.SecretString };
    for (const [versionId, value] of this.leaked) {
      if (versionId === current.VersionId) {
        violations.push({
          invariant: Invariant.emergency,
          at,
          detail: `no emergency is left, yet the leaked version ${versionId} is still AWSCURRENT`,
        });
        continue;
      }
      if (await this.#target.authenticates(value, view)) {
        violations.push({
          invariant: Invariant.emergency,
          at,
          detail: `the credential marked leaked (version ${versionId}) still authenticates after the emergency was reported done`,
        });
        trace.push(`  VIOLATION emergency at ${at}: leaked ${versionId.slice(0, 8)} still works`);
      }
    }
    trace.push(`  operator: ${this.leaked.size} leaked credential(s) checked revoked at ${at}`);
    this.leaked.clear();
  }
}
