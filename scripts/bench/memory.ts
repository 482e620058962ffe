import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { RotateSecretCommand } from '@aws-sdk/client-secrets-manager';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { extractZip } from '../build/unzip.ts';
import {
  createJwtSecrets,
  createPostgresSecrets,
  createRedisSecrets,
  placeholderRotation,
  type BenchKind,
  type BenchStack,
} from './bench-stack.ts';
import { runChild } from './child-process.ts';
import { summarize, type Summary } from './stats.ts';

export interface MemoryResult {
  readonly kind: BenchKind;
  /** Peak resident set size (maxRSS) of the function process through one full rotation, MB. */
  readonly peakRssMb: Summary;
}

const STEPS = ['createSecret', 'setSecret', 'testSecret', 'finishSecret'] as const;

/**
 * Peak memory: a fresh process loads the zip and runs the four steps of one rotation
 * against the emulator and the real servers; its maxRSS is the figure a 128 MB Lambda
 * must hold.
 */
export async function benchMemory(
  stack: BenchStack,
  distDir: string,
  runs: number,
  nodeOptions?: string,
): Promise<MemoryResult[]> {
  const work = await mkdtemp(join(tmpdir(), 'bench-mem-'));
  try {
    const results: MemoryResult[] = [];
    const create: Record<BenchKind, (prefix: string, n: number) => Promise<string[]>> = {
      jwt: (prefix, n) => createJwtSecrets(stack, prefix, n),
      postgres: (prefix, n) => createPostgresSecrets(stack, prefix, n),
      redis: (prefix, n) => createRedisSecrets(stack, prefix, n),
    };
    for (const kind of Object.keys(create) as BenchKind[]) {
      const dir = join(work, kind);
      await extractZip(join(distDir, `${kind}.zip`), dir);
      const names = await create[kind](`bench-mem/${kind}`, runs);
      const peaks: number[] = [];
      for (const name of names) {
        const token = await placeholderRotation(stack, name);
        const events = STEPS.map((Step) => ({ Step, SecretId: name, ClientRequestToken: token }));
        const report = await runChild(join(dir, 'index.mjs'), events, {
          ...stack.functionEnv(kind),
          ...(nodeOptions ? { NODE_OPTIONS: nodeOptions } : {}),
        });
        if (!report.ok)
          throw new Error(
            `${kind}: rotation in a fresh process failed: ${report.error?.code ?? report.error?.name}`,
          );
        peaks.push(report.maxRssKb / 1024);
      }
      results.push({ kind, peakRssMb: summarize(peaks) });
    }
    return results;
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

export interface WarmMemoryResult {
  readonly kind: BenchKind;
  readonly rotations: number;
  /** VmHWM of the one warm function process after all rotations, MB. */
  readonly peakRssMb: number;
  /** Median VmRSS over the last half of the rotations, MB: where a warm Lambda settles. */
  readonly plateauRssMb: number;
  /** VmRSS after each rotation, MB. */
  readonly rssMb: readonly number[];
  /** Secrets Manager calls the function made per rotation (emulator's count, RotateSecret and
   *  progress tags excluded), median over the last half: secrets with history, warm process. */
  readonly smCallsPerRotation: number;
}

const callsOf = (stack: BenchStack, secretId: string): number =>
  Object.entries({ ...stack.emu.calls(secretId) })
    .filter(([operation]) => operation !== 'RotateSecret' && operation !== 'TagResource')
    .reduce((sum, [, n]) => sum + n, 0) + (stack.emu.calls()['GetRandomPassword'] ?? 0);

function procStatusMb(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8')
    .split('\n')
    .find((l) => l.startsWith(`${field}:`));
  return Number(/(\d+)/.exec(line ?? '')?.[1] ?? Number.NaN) / 1024;
}

/**
 * Warm memory: one pooled function process (the zip, as the emulator runs it) rotates a
 * few secrets `rotations` times in turn; its resident set is read after each rotation. The
 * plateau is what a long-lived Lambda sandbox holds; `nodeOptions` is the function's
 * NODE_OPTIONS (the template's setting), so the bench measures what is deployed.
 */
export async function benchWarmMemory(
  stack: BenchStack,
  distDir: string,
  rotations: number,
  nodeOptions: string | undefined,
): Promise<WarmMemoryResult[]> {
  const results: WarmMemoryResult[] = [];
  const create: Record<BenchKind, (prefix: string, n: number) => Promise<string[]>> = {
    jwt: (prefix, n) => createJwtSecrets(stack, prefix, n),
    postgres: (prefix, n) => createPostgresSecrets(stack, prefix, n),
    redis: (prefix, n) => createRedisSecrets(stack, prefix, n),
  };
  const tag = nodeOptions === undefined ? 'default' : 'tuned';
  for (const kind of Object.keys(create) as BenchKind[]) {
    const name = `bench-warm-${kind}-${tag}`.slice(0, 64);
    const arn = stack.emu.registerFunction(
      name,
      { path: join(distDir, `${kind}.zip`) },
      {
        env: { ...stack.functionEnv(kind), ...(nodeOptions ? { NODE_OPTIONS: nodeOptions } : {}) },
        poolSize: 1,
      },
    );
    // Several secrets in turn, as a warm sandbox serves them (a secret holds at most 100 versions).
    const secrets = await create[kind](`bench-warm-${tag}/${kind}`, Math.max(1, Math.ceil(rotations / 25)));
    const rss: number[] = [];
    const calls: number[] = [];
    let pid: number | undefined;
    for (let i = 0; i < rotations; i += 1) {
      const secret = secrets[i % secrets.length];
      const before = callsOf(stack, secret!);
      await stack.sm.send(new RotateSecretCommand({ SecretId: secret!, RotationLambdaARN: arn }));
      const record = await stack.emu.waitForRotation(secret!);
      if (record.outcome !== 'succeeded') throw new Error(`${kind}: warm rotation ${i + 1} failed`);
      calls.push(callsOf(stack, secret!) - before);
      pid = stack.emu.functionProcesses(name).pids[0];
      if (pid === undefined) throw new Error(`${kind}: no warm function process`);
      rss.push(procStatusMb(pid, 'VmRSS'));
    }
    const tail = rss.slice(Math.floor(rss.length / 2));
    results.push({
      kind,
      rotations,
      peakRssMb: pid === undefined ? Number.NaN : procStatusMb(pid, 'VmHWM'),
      plateauRssMb: summarize(tail).median,
      rssMb: rss,
      smCallsPerRotation: summarize(calls.slice(Math.floor(calls.length / 2))).median,
    });
  }
  return results;
}
