/**
 * The operator's seat for issue 13's scenarios: the function zips exactly as `npm run build`
 * makes them (each run by the emulator in a warm child process), the operator CLI as
 * `npm run package` bundles it (run as its own process with an operator's environment), and
 * the Secrets Manager emulator driven through the real SDK, as the operator's AWS CLI would.
 *
 * `gated()` registers a function that is the zip of a kind with the operator's hands around
 * each step: a hook may tag the secret, stop a server or hold the step, then the step is
 * invoked in the zip as the service would invoke it. `invokeStep()` delivers a step outside
 * any rotation (a late or duplicate invocation, as the service does deliver them).
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DescribeSecretCommand, GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { buildFunctions } from '../../../scripts/build/build-functions.ts';
import {
  InvocationError,
  type EmulatorOptions,
  type InvocationErrorInfo,
} from '../../../scripts/emulator/index.ts';
import { stageCliPackage } from '../../../scripts/package/package-cli.ts';
import { startEmulatorSecrets, type EmulatorSecrets } from '../../support/emulator-harness.ts';

/**
 * The checkout the zips and the CLI are built from: this one, or OPERATOR_SCENARIOS_BUILD_ROOT
 * (another checkout, e.g. `git worktree add /tmp/old <commit>` with node_modules linked) to
 * watch the scenarios fail against older code with today's tests and emulator.
 */
const rootDir =
  process.env['OPERATOR_SCENARIOS_BUILD_ROOT'] ??
  path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

export type ZipKind = 'jwt' | 'postgres' | 'redis';

export interface StepEvent {
  readonly Step: string;
  readonly SecretId: string;
  readonly ClientRequestToken: string;
}

export interface StepHooks {
  /** Runs before the step reaches the function. */
  readonly before?: (event: StepEvent) => Promise<void> | void;
  /** Runs after the step returned (successfully). */
  readonly after?: (event: StepEvent) => Promise<void> | void;
}

export interface CliRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** The emulator with the SDK helpers every harness has (`createSecret`, `rotate`, `stages`, `tag`, ...), and: */
export interface ScenarioStack extends EmulatorSecrets {
  /** The ARN of `<kind>-zip`, the built zip of that kind. */
  functionArn(kind: ZipKind): string;
  /** A function `name` that runs each step in the zip of `kind`, with `hooks` around it. */
  gated(kind: ZipKind, name: string, hooks: StepHooks): string;
  /** Everything the zip of `kind` wrote (JSON log lines), gated invocations included. */
  logs(kind: ZipKind): readonly string[];
  /** Log lines of `kind` that name this secret. */
  logsOf(kind: ZipKind, secretArn: string): string[];
  /** `rotation <args> --endpoint-url <emulator>` as its own process, with an operator's environment. */
  cli(args: readonly string[], env?: Readonly<Record<string, string>>): Promise<CliRun>;
  /** Every CLI run so far (stdout and stderr), for leak checks. */
  readonly cliOutput: string[];
  tags(secretId: string): Promise<Record<string, string>>;
  /** SecretString of a stage (default AWSCURRENT) or of a version id. */
  value(secretId: string, where?: { stage?: string; versionId?: string }): Promise<string>;
  /** One step invoked in the zip outside any rotation; the function's error when it failed. */
  invokeStep(
    kind: ZipKind,
    event: StepEvent,
  ): Promise<{ readonly ok: boolean; readonly error?: InvocationErrorInfo }>;
}

export interface ScenarioStackOptions {
  readonly kinds: readonly ZipKind[];
  /** The Lambda configuration of each kind's function (beyond the emulator's own variables). */
  readonly env?: Partial<Record<ZipKind, Record<string, string>>>;
  /** Emulator options beyond the stack's own (e.g. `extensions: false`: only what AWS offers). */
  readonly emulator?: Pick<EmulatorOptions, 'extensions'>;
}

const ENTRIES: Record<ZipKind, string> = {
  jwt: 'functions/jwt/handler.ts',
  postgres: 'functions/postgres/handler.ts',
  redis: 'functions/redis/handler.ts',
};

export async function startScenarioStack(options: ScenarioStackOptions): Promise<ScenarioStack> {
  const workDir = await mkdtemp(path.join(tmpdir(), 'operator-scenarios-'));
  const cliDir = path.join(workDir, 'cli');
  const [build] = await Promise.all([
    buildFunctions({
      rootDir,
      outDir: path.join(workDir, 'dist'),
      sources: options.kinds.map((kind) => ({ name: kind, entry: ENTRIES[kind] })),
    }),
    stageCliPackage(rootDir, cliDir),
  ]);
  const base = await startEmulatorSecrets({ rotationRetries: 0, ...options.emulator });
  const { emu, sm } = base;
  const arns = new Map<ZipKind, string>();
  for (const kind of options.kinds) {
    const zip = build.built.find((built) => built.name === kind);
    if (!zip) throw new Error(`${kind}.zip was not built: ${build.skipped.map((s) => s.reason).join('; ')}`);
    arns.set(
      kind,
      emu.registerFunction(
        `${kind}-zip`,
        { path: zip.zipPath },
        { env: { POWERTOOLS_LOG_LEVEL: 'INFO', ...options.env?.[kind] }, poolSize: 1 },
      ),
    );
  }
  const functionArn = (kind: ZipKind): string => {
    const arn = arns.get(kind);
    if (arn === undefined) throw new Error(`no ${kind} zip in this stack`);
    return arn;
  };
  const cliOutput: string[] = [];
  const cliBin = path.join(cliDir, 'bin/rotation.mjs');

  return {
    ...base,
    functionArn,
    gated(kind, name, hooks) {
      const zip = functionArn(kind);
      return emu.registerFunction(name, async (event: unknown) => {
        const step = event as StepEvent;
        await hooks.before?.(step);
        const result = await emu.invoke(zip, event);
        await hooks.after?.(step);
        return result;
      });
    },
    logs: (kind) => emu.functionLogs(`${kind}-zip`),
    logsOf: (kind, secretArn) => emu.functionLogs(`${kind}-zip`).filter((line) => line.includes(secretArn)),
    cli(args, env = {}) {
      return new Promise((resolve) => {
        execFile(
          process.execPath,
          [cliBin, ...args, '--endpoint-url', emu.endpoint],
          {
            cwd: workDir,
            env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: workDir, NO_COLOR: '1', ...env },
          },
          (error, stdout, stderr) => {
            cliOutput.push(stdout, stderr);
            resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr });
          },
        );
      });
    },
    cliOutput,
    async tags(secretId) {
      const described = await sm.send(new DescribeSecretCommand({ SecretId: secretId }));
      return Object.fromEntries((described.Tags ?? []).map((tag) => [tag.Key ?? '', tag.Value ?? '']));
    },
    async value(secretId, where = {}) {
      const out = await sm.send(
        new GetSecretValueCommand({
          SecretId: secretId,
          ...(where.versionId !== undefined ? { VersionId: where.versionId } : {}),
          ...(where.stage !== undefined || where.versionId === undefined
            ? { VersionStage: where.stage ?? 'AWSCURRENT' }
            : {}),
        }),
      );
      return out.SecretString ?? '';
    },
    async invokeStep(kind, event) {
      try {
        await emu.invoke(functionArn(kind), event);
        return { ok: true };
      } catch (error) {
        if (error instanceof InvocationError) return { ok: false, error: error.info };
        throw error;
      }
    },
    async close() {
      await base.close();
      await rm(workDir, { recursive: true, force: true });
    },
  };
}

/** The version holding a stage. */
export function versionWith(stages: Record<string, string[]>, stage: string): string | undefined {
  return Object.entries(stages).find(([, labels]) => labels.includes(stage))?.[0];
}

/** The JSON log lines with this message (the function's `message` key). */
export function linesWith(lines: readonly string[], message: string | RegExp): Record<string, unknown>[] {
  return lines
    .map((line) => {
      try {
        return JSON.parse(line) as Record<string, unknown>;
      } catch {
        return undefined;
      }
    })
    .filter((entry): entry is Record<string, unknown> => {
      if (entry === undefined || typeof entry['message'] !== 'string') return false;
      return typeof message === 'string' ? entry['message'] === message : message.test(entry['message']);
    });
}

/** A promise and the function that resolves it: a step held until the test lets it go. */
export function latch(): { readonly wait: Promise<void>; release(): void } {
  let release = (): void => undefined;
  const wait = new Promise<void>((resolve) => {
    release = resolve;
  });
  return { wait, release };
}
