import { statSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { extractZip } from '../build/unzip.ts';
import {
  createJwtSecrets,
  createPostgresSecrets,
  createRedisSecrets,
  currentVersionId,
  type BenchKind,
  type BenchStack,
} from './bench-stack.ts';
import { runChild } from './child-process.ts';
import { summarize, type Summary } from './stats.ts';

export interface ColdStartResult {
  readonly kind: BenchKind;
  readonly zipBytes: number;
  readonly coldMs: Summary;
  readonly floorMs: Summary;
  /** Median of the function minus median of the empty handler. */
  readonly overheadMs: number;
}

/**
 * Cold start per zip: a fresh node process loads the unzipped `index.mjs` and completes
 * its first invocation of a cheap step (a late `testSecret` whose token is already
 * AWSCURRENT: one DescribeSecret round trip, then success), against the same for an empty
 * handler (the floor: Node's own start). Runs alternate between the two so load on the
 * machine hits both alike.
 */
export async function benchColdStart(
  stack: BenchStack,
  distDir: string,
  runs: number,
): Promise<ColdStartResult[]> {
  const work = await mkdtemp(join(tmpdir(), 'bench-cold-'));
  try {
    const empty = join(work, 'empty.mjs');
    await writeFile(empty, 'export const handler = async () => undefined;\n');
    const secrets: Record<BenchKind, string> = {
      jwt: (await createJwtSecrets(stack, 'bench-cold/jwt', 1))[0]!,
      postgres: (await createPostgresSecrets(stack, 'bench-cold/postgres', 1))[0]!,
      redis: (await createRedisSecrets(stack, 'bench-cold/redis', 1))[0]!,
    };
    const results: ColdStartResult[] = [];
    for (const kind of Object.keys(secrets) as BenchKind[]) {
      const zip = join(distDir, `${kind}.zip`);
      const dir = join(work, kind);
      await extractZip(zip, dir);
      const token = await currentVersionId(stack, secrets[kind]);
      const event = { Step: 'testSecret', SecretId: secrets[kind], ClientRequestToken: token };
      const env = stack.functionEnv(kind);
      await runChild(join(dir, 'index.mjs'), [event], env); // page cache warm-up, not counted
      const cold: number[] = [];
      const floor: number[] = [];
      for (let i = 0; i < runs; i += 1) {
        const report = await runChild(join(dir, 'index.mjs'), [event], env);
        if (!report.ok)
          throw new Error(
            `${kind}.zip failed its first invocation: ${report.error?.code ?? report.error?.name}`,
          );
        cold.push(report.wallMs);
        floor.push((await runChild(empty, [event], env)).wallMs);
      }
      const coldMs = summarize(cold);
      const floorMs = summarize(floor);
      results.push({
        kind,
        zipBytes: statSync(zip).size,
        coldMs,
        floorMs,
        overheadMs: coldMs.median - floorMs.median,
      });
    }
    return results;
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}
