import {
  CreateSecretCommand,
  DescribeSecretCommand,
  GetSecretValueCommand,
  type SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import type { Painter, Output } from '../cli/output.ts';
import { writeLine } from '../cli/output.ts';
import { runCli } from '../cli/run-cli.ts';
import type { Kind } from './ensure-build.ts';

/**
 * One demo of `npm start`: a secret of one kind and format, rotated with the CLI, then
 * checked against the real target. Values are read (to log in with them) but never
 * printed; every value read is recorded in `known` for the final leak scan.
 */
export interface DemoStack {
  readonly out: Output;
  readonly paint: Painter;
  readonly sm: SecretsManagerClient;
  readonly endpoint: string;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly functionArn: (kind: Kind) => string;
  readonly postgres: {
    readonly host: string;
    readonly port: number;
    readonly adminUser: string;
    readonly adminPassword: string;
    readonly database: string;
    readonly caPem?: string;
  };
  readonly redis: { readonly host: string; readonly port: number; readonly adminPassword: string };
  /** Every secret value seen, for the leak scan at the end. */
  readonly known: Set<string>;
}

export interface Check {
  readonly label: string;
  readonly ok: boolean;
}

export interface Demo {
  readonly title: string;
  readonly kind: Kind;
  readonly secretName: string;
  /** Rotate with `--emergency --yes`: the function revokes the old credential at once. */
  readonly emergency?: boolean;
  /** Replicate the secret to these Regions (CreateSecret AddReplicaRegions). Default none. */
  readonly replicaRegions?: readonly string[];
  /** How many rotations to run before the checks. Default 1. */
  readonly rotations?: number;
  /** Prepare the target (roles, ACL users) and return the secret's first value. */
  setup(stack: DemoStack): Promise<string>;
  /** A value-free line or two about the new AWSCURRENT after each rotation (optional). */
  afterRotation?(stack: DemoStack, current: string): Promise<readonly string[]>;
  /** Prove the new value works and show what happened to the old one. */
  verify(
    stack: DemoStack,
    values: { readonly previous: string; readonly current: string },
  ): Promise<readonly Check[]>;
}

export interface DemoResult {
  readonly title: string;
  readonly secretName: string;
  readonly exitCode: number;
  readonly checks: readonly Check[];
  readonly durationMs: number;
  readonly error?: string;
}

export async function runDemo(stack: DemoStack, demo: Demo): Promise<DemoResult> {
  const { out, paint, sm } = stack;
  const started = Date.now();
  writeLine(
    out.stdout,
    `\n${paint.bold(`== ${demo.title}`)}  (secret ${demo.secretName}, function ${demo.kind})`,
  );
  try {
    const initial = await demo.setup(stack);
    remember(stack, initial);
    await sm.send(
      new CreateSecretCommand({
        Name: demo.secretName,
        SecretString: initial,
        Description: `npm start demo: ${demo.title}`,
        ...(demo.replicaRegions
          ? { AddReplicaRegions: demo.replicaRegions.map((Region) => ({ Region })) }
          : {}),
      }),
    );
    writeLine(out.stdout, `labels before:\n${await labelLines(sm, demo.secretName)}`);
    let exitCode = 0;
    for (let round = 1; round <= (demo.rotations ?? 1) && exitCode === 0; round++) {
      const argv = [
        'rotate',
        demo.secretName,
        '--rotation-lambda-arn',
        stack.functionArn(demo.kind),
        '--after-days',
        '30',
        ...(demo.emergency ? ['--emergency', '--yes'] : []),
      ];
      writeLine(out.stdout, paint.dim(`$ rotation ${argv.join(' ')}`));
      exitCode = await runCli([...argv, '--endpoint-url', stack.endpoint], {
        env: stack.env,
        out: indented(out),
      });
      writeLine(
        out.stdout,
        `labels after${(demo.rotations ?? 1) > 1 ? ` rotation ${round}` : ''}:\n${await labelLines(sm, demo.secretName)}`,
      );
      if (demo.afterRotation)
        for (const line of await demo.afterRotation(
          stack,
          await valueOf(stack, demo.secretName, 'AWSCURRENT'),
        ))
          writeLine(out.stdout, `  ${line}`);
    }
    if (exitCode !== 0)
      return {
        title: demo.title,
        secretName: demo.secretName,
        exitCode,
        checks: [],
        durationMs: Date.now() - started,
      };
    const current = await valueOf(stack, demo.secretName, 'AWSCURRENT');
    const previous = await valueOf(stack, demo.secretName, 'AWSPREVIOUS');
    const checks = await demo.verify(stack, { current, previous });
    for (const check of checks)
      writeLine(out.stdout, `  ${check.ok ? paint.green('ok  ') : paint.red('FAIL')} ${check.label}`);
    return {
      title: demo.title,
      secretName: demo.secretName,
      exitCode,
      checks,
      durationMs: Date.now() - started,
    };
  } catch (error) {
    const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    writeLine(out.stdout, `  ${paint.red('FAIL')} ${message}`);
    return {
      title: demo.title,
      secretName: demo.secretName,
      exitCode: -1,
      checks: [],
      durationMs: Date.now() - started,
      error: message,
    };
  }
}

/** Field names that hold secret material in the demo secrets (other fields are identifiers). */
const SECRET_FIELD = /password|secret|_key$|^k$|^d$|^p$|^q$|^dp$|^dq$|^qi$/i;

function remember(stack: DemoStack, value: string): void {
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    stack.known.add(value.trim()); // a plain value: the whole string is the secret
    return;
  }
  collectSecrets(parsed, stack.known);
}

function collectSecrets(value: unknown, into: Set<string>): void {
  if (Array.isArray(value)) for (const item of value) collectSecrets(item, into);
  else if (value && typeof value === 'object') {
    for (const [field, item] of Object.entries(value)) {
      if (typeof item === 'string' && SECRET_FIELD.test(field) && item.length >= 8) into.add(item);
      else collectSecrets(item, into);
    }
  }
}

async function valueOf(stack: DemoStack, secretId: string, stage: string): Promise<string> {
  const out = await stack.sm.send(new GetSecretValueCommand({ SecretId: secretId, VersionStage: stage }));
  const value = out.SecretString ?? '';
  remember(stack, value);
  return value;
}

/** `  1a2b3c4d…  AWSCURRENT` lines, newest label set first. */
export async function labelLines(sm: SecretsManagerClient, secretId: string): Promise<string> {
  const described = await sm.send(new DescribeSecretCommand({ SecretId: secretId }));
  const entries = Object.entries(described.VersionIdsToStages ?? {});
  const rank = (labels: string[]) =>
    labels.includes('AWSCURRENT') ? 0 : labels.includes('AWSPENDING') ? 1 : 2;
  return entries
    .sort(([, a], [, b]) => rank(a) - rank(b))
    .map(([versionId, labels]) => `  ${versionId.slice(0, 8)}…  ${labels.join(', ')}`)
    .join('\n');
}

/** The CLI's output, indented under the demo's heading. */
function indented(out: Output): Output {
  const wrap = (sink: Output['stdout']): Output['stdout'] => ({
    isTTY: sink.isTTY ?? false,
    columns: sink.columns ?? 80,
    write: (text) => sink.write(text.replace(/^(?=.)/gm, '  ')),
  });
  return { ...out, stdout: wrap(out.stdout), stderr: wrap(out.stderr) };
}
