import { RotateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { buildRotationFunction } from '../../shared/rotation-function.ts';
import { PROGRESS_TAG_PREFIX } from '../../shared/rotation-progress.ts';
import { createSdkSecretsPort } from '../../shared/sdk-secrets-port.ts';
import type { SecretsPort } from '../../shared/secrets-port.ts';
import { createMemoryLog, createMemoryMetrics } from '../testbed/memory-observability.ts';
import type { BenchKind, BenchStack } from './bench-stack.ts';
import { CASES, type Counters } from './latency.ts';
import { summarize, time, type Summary } from './stats.ts';

/**
 * What the progress tags (RotationProgress:*, one TagResource per step; 5 for a cut-over
 * strategy) cost a rotation, per latency case, two ways:
 *
 * - measured where the function makes them: the wall time of each progress TagResource call
 *   at the function's Secrets Manager port (SDK request, the emulator's answer, the response),
 *   summed per rotation;
 * - paired: whole rotations (RotateSecret to done) with the progress writes made, and with
 *   them answered at the port without a request, alternated in ABBA order, so load drift on
 *   a shared machine hits both alike and neither always runs first.
 *
 * The emulator's own count of TagResource requests per secret checks the writes happened
 * (and did not, in the runs without). Against AWS each write is one more Secrets Manager
 * round trip (tens of ms in-Region), so the measured time here is a floor.
 */
export interface ProgressTagResult {
  readonly name: string;
  readonly kind: BenchKind;
  /** Progress TagResource requests per rotation, as the emulator counted them. */
  readonly writesPerRotation: number;
  /** Time spent in those calls per rotation. */
  readonly tagMsPerRotation: Summary;
  /** One call. */
  readonly tagMsPerCall: Summary;
  readonly rotationWithMs: Summary;
  readonly rotationWithoutMs: Summary;
  /** Median with minus median without. */
  readonly addedMs: number;
}

const isProgressWrite = (tags: unknown): boolean =>
  typeof tags === 'object' &&
  tags !== null &&
  Object.keys(tags).some((key) => key.startsWith(PROGRESS_TAG_PREFIX));

/** The port, with progress writes timed (`record`) or answered here without a request (`skip`). */
function progressPort(port: SecretsPort, mode: 'record' | 'skip', callMs: number[]): SecretsPort {
  return new Proxy(port, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver) as unknown;
      if (prop !== 'tagResource' || typeof value !== 'function') return value;
      return async (arn: string, tags: Record<string, string>) => {
        if (!isProgressWrite(tags)) return (value as SecretsPort['tagResource']).call(target, arn, tags);
        if (mode === 'skip') return;
        const { ms } = await time(() => (value as SecretsPort['tagResource']).call(target, arn, tags));
        callMs.push(ms);
      };
    },
  });
}

export async function benchProgressTags(stack: BenchStack, runs: number): Promise<ProgressTagResult[]> {
  const client = new SecretsManagerClient({
    endpoint: stack.emu.endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'bench', secretAccessKey: 'bench' },
  });
  const results: ProgressTagResult[] = [];
  try {
    for (const [index, benchCase] of CASES.entries()) {
      const counters: Counters = { sm: 0, logins: 0 };
      const callMs: number[] = [];
      const arns = (['record', 'skip'] as const).map((mode) => {
        const fn = buildRotationFunction(benchCase.definition(counters), {
          env: stack.functionEnv(benchCase.kind),
          secrets: progressPort(createSdkSecretsPort(client), mode, callMs),
          logger: createMemoryLog(),
          metrics: createMemoryMetrics(),
        });
        return stack.emu.registerFunction(`bench-progress-${index}-${mode}`, (event) => fn.handler(event));
      });
      const warmup = 2;
      const names = await benchCase.create(stack, `bench-prg${index}/${benchCase.kind}`, 2 * (runs + warmup));
      const withMs: number[] = [];
      const withoutMs: number[] = [];
      const tagPerRotation: number[] = [];
      const perCall: number[] = [];
      let writes = 0;
      for (const [i, name] of names.entries()) {
        // ABBA order: with, without, without, with, ... so neither always runs first.
        const recorded = i % 4 === 0 || i % 4 === 3;
        callMs.length = 0;
        const { ms } = await time(async () => {
          await stack.sm.send(
            new RotateSecretCommand({ SecretId: name, RotationLambdaARN: arns[recorded ? 0 : 1] }),
          );
          const record = await stack.emu.waitForRotation(name);
          if (record.outcome !== 'succeeded')
            throw new Error(`${benchCase.name}: rotation failed at ${record.steps.find((s) => !s.ok)?.step}`);
        });
        const tagRequests = stack.emu.calls(name)['TagResource'] ?? 0;
        if (!recorded && tagRequests > 0)
          throw new Error(`${benchCase.name}: ${tagRequests} progress writes reached the emulator unasked`);
        if (i < 2 * warmup) continue;
        if (recorded) {
          withMs.push(ms);
          writes = tagRequests;
          tagPerRotation.push(callMs.reduce((sum, one) => sum + one, 0));
          perCall.push(...callMs);
        } else withoutMs.push(ms);
      }
      const rotationWithMs = summarize(withMs);
      const rotationWithoutMs = summarize(withoutMs);
      results.push({
        name: benchCase.name,
        kind: benchCase.kind,
        writesPerRotation: writes,
        tagMsPerRotation: summarize(tagPerRotation),
        tagMsPerCall: summarize(perCall),
        rotationWithMs,
        rotationWithoutMs,
        addedMs: rotationWithMs.median - rotationWithoutMs.median,
      });
    }
  } finally {
    client.destroy();
  }
  return results;
}

/** "1.4 ms (1.1-2.0)": per-call figures need the decimal. */
export function formatFineMs(summary: Summary): string {
  return `${summary.median.toFixed(1)} ms (${summary.p25.toFixed(1)}-${summary.p75.toFixed(1)})`;
}
