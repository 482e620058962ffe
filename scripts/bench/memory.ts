import { mkdtemp, rm } from 'node:fs/promises';
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
export async function benchMemory(stack: BenchStack, distDir: string, runs: number): Promise<MemoryResult[]> {
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
        const report = await runChild(join(dir, 'index.mjs'), events, stack.functionEnv(kind));
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
