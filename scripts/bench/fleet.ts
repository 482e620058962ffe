import { join } from 'node:path';
import { runCli } from '../cli/run-cli.ts';
import type { Output } from '../cli/output.ts';
import {
  createJwtSecrets,
  createPostgresSecrets,
  createRedisSecrets,
  type BenchKind,
  type BenchStack,
} from './bench-stack.ts';
import { time } from './stats.ts';

export interface FleetResult {
  readonly secrets: number;
  readonly byKind: Readonly<Record<BenchKind, number>>;
  readonly concurrency: number;
  readonly wallMs: number;
  readonly rotationsPerSecond: number;
  readonly failed: number;
  readonly exitCodes: readonly number[];
  /** The CLI's stderr/stdout tail of any run that did not exit 0, to say why. */
  readonly problems: readonly string[];
}

function silentOutput(): Output & { text(): string } {
  const chunks: string[] = [];
  const sink = { isTTY: false, columns: 120, write: (text: string) => void chunks.push(text) };
  return { stdout: sink, stderr: sink, color: false, live: false, text: () => chunks.join('') };
}

/**
 * Fleet: rotate N secrets of mixed kinds at once, the way an operator would in an
 * incident: the CLI's `rotate` with its bounded concurrency, through the emulator, with the
 * built zips running in warm child-process pools (as Lambda would run them).
 */
export async function benchFleet(
  stack: BenchStack,
  distDir: string,
  total: number,
  concurrency: number,
): Promise<FleetResult> {
  const per = Math.floor(total / 3);
  const byKind: Record<BenchKind, number> = { jwt: total - 2 * per, postgres: per, redis: per };
  const names: Record<BenchKind, string[]> = {
    jwt: await createJwtSecrets(stack, 'bench-fleet/jwt', byKind.jwt),
    postgres: await createPostgresSecrets(stack, 'bench-fleet/postgres', byKind.postgres),
    redis: await createRedisSecrets(stack, 'bench-fleet/redis', byKind.redis),
  };
  const arns = Object.fromEntries(
    (Object.keys(names) as BenchKind[]).map((kind) => [
      kind,
      stack.emu.registerFunction(
        `bench-fleet-${kind}`,
        { path: join(distDir, `${kind}.zip`) },
        { env: stack.functionEnv(kind) },
      ),
    ]),
  ) as Record<BenchKind, string>;
  const env = { AWS_REGION: 'us-east-1' };
  // One CLI run per kind (each names its own rotation function), sharing the concurrency budget.
  const share = Math.max(1, Math.floor(concurrency / 3));
  const outputs: ReturnType<typeof silentOutput>[] = [];
  const { ms, value: exitCodes } = await time(() =>
    Promise.all(
      (Object.keys(names) as BenchKind[]).map((kind) => {
        const out = silentOutput();
        outputs.push(out);
        return runCli(
          [
            'rotate',
            ...names[kind],
            '--endpoint-url',
            stack.emu.endpoint,
            '--rotation-lambda-arn',
            arns[kind],
            '--concurrency',
            String(share),
            '--yes',
            '--json',
            '--timeout',
            '300',
          ],
          { env, out, client: stack.sm },
        );
      }),
    ),
  );
  const succeeded = stack.emu.rotations.filter(
    (record) => record.secretArn.includes(':secret:bench-fleet/') && record.outcome === 'succeeded',
  ).length;
  const failed = total - succeeded;
  return {
    secrets: total,
    byKind,
    concurrency: share * 3,
    wallMs: ms,
    rotationsPerSecond: total / (ms / 1000),
    failed,
    exitCodes: exitCodes.map(Number),
    problems: outputs.filter((_, i) => exitCodes[i] !== 0).map((out) => out.text().slice(-800)),
  };
}
