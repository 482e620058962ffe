import type { KindName } from '../../shared/constants.ts';
import { MetricName, type Log, type RotationMetrics, type StepMetric } from '../../shared/observability.ts';

/**
 * In-memory doubles of the core's log and metrics surfaces, for tests and tools (chaos, bench)
 * that read back what a function logged. They live in the test bed, not in the core.
 */

/** A metrics sink that keeps everything in memory, for tests and the tools' in-process runs. */
export function createMemoryMetrics(): RotationMetrics & {
  readonly records: { name: MetricName; metric?: StepMetric; kind?: KindName }[];
} {
  const records: { name: MetricName; metric?: StepMetric; kind?: KindName }[] = [];
  return {
    records,
    stepSucceeded: (metric) => records.push({ name: MetricName.StepSucceeded, metric }),
    stepFailed: (metric) => {
      records.push({ name: MetricName.StepFailed, metric });
      records.push({ name: MetricName.RotationFailed, metric });
    },
    rotationCompleted: (kind) => records.push({ name: MetricName.RotationCompleted, kind }),
    flush: () => undefined,
  };
}

/** A logger that keeps lines in memory (as JSON strings, the way they would be printed). */
export function createMemoryLog(): Log & { readonly lines: string[] } {
  const lines: string[] = [];
  let keys: Record<string, unknown> = {};
  const write =
    (level: string) =>
    (message: string, ...extra: Record<string, unknown>[]) => {
      lines.push(
        JSON.stringify({ level, message, ...keys, ...Object.assign({}, ...extra.map(serializeExtra)) }),
      );
    };
  return {
    lines,
    debug: write('DEBUG'),
    info: write('INFO'),
    warn: write('WARN'),
    error: write('ERROR'),
    appendKeys: (more) => {
      keys = { ...keys, ...more };
    },
    resetKeys: () => {
      keys = {};
    },
  };
}

function serializeExtra(extra: Record<string, unknown>): Record<string, unknown> {
  if (extra instanceof Error)
    return {
      error: { name: extra.name, message: extra.message, ...('code' in extra ? { code: extra.code } : {}) },
    };
  return extra;
}
