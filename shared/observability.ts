import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { KindName, Step } from './constants.ts';

/**
 * Logging and metrics. One Powertools Logger and one Metrics setup per function.
 * Messages are constant strings; data goes in keys. Metric dimensions are bounded to
 * kind and step (never a secret ARN).
 */

/** The logging surface the core and strategies use. Powertools' Logger satisfies it. */
export interface Log {
  debug(message: string, ...extra: Record<string, unknown>[]): void;
  info(message: string, ...extra: Record<string, unknown>[]): void;
  warn(message: string, ...extra: Record<string, unknown>[]): void;
  error(message: string, ...extra: Record<string, unknown>[]): void;
  appendKeys(keys: Record<string, unknown>): void;
  resetKeys?(): void;
}

export const METRIC_NAMESPACE_DEFAULT = 'SecretsRotation';

/** Metric names, stable: alarms watch `RotationFailed`. */
export const MetricName = {
  StepSucceeded: 'StepSucceeded',
  StepFailed: 'StepFailed',
  StepDuration: 'StepDuration',
  RotationFailed: 'RotationFailed',
  RotationCompleted: 'RotationCompleted',
} as const;
export type MetricName = (typeof MetricName)[keyof typeof MetricName];

export interface StepMetric {
  readonly kind: KindName;
  readonly step: Step;
  readonly durationMs: number;
  readonly errorCode?: string;
}

export interface RotationMetrics {
  stepSucceeded(metric: StepMetric): void;
  stepFailed(metric: StepMetric): void;
  rotationCompleted(kind: KindName): void;
  flush(): void;
}

export function createLogger(kind: KindName, logLevel?: string): Log {
  return new Logger({
    serviceName: `secrets-rotation-${kind}`,
    ...(logLevel ? { logLevel: logLevel.toUpperCase() as 'INFO' } : {}),
    persistentKeys: { kind },
  });
}

/** Powertools Metrics, emitted as CloudWatch EMF on stdout and flushed per invocation. */
export function createMetrics(kind: KindName, namespace = METRIC_NAMESPACE_DEFAULT): RotationMetrics {
  const metrics = new Metrics({ namespace, serviceName: `secrets-rotation-${kind}` });
  const record = (metric: StepMetric, name: MetricName): void => {
    metrics.addDimensions({ kind: metric.kind, step: metric.step });
    metrics.addMetric(name, MetricUnit.Count, 1);
    metrics.addMetric(MetricName.StepDuration, MetricUnit.Milliseconds, metric.durationMs);
    if (metric.errorCode) metrics.addMetadata('errorCode', metric.errorCode);
  };
  return {
    stepSucceeded: (metric) => record(metric, MetricName.StepSucceeded),
    stepFailed: (metric) => {
      record(metric, MetricName.StepFailed);
      metrics.addMetric(MetricName.RotationFailed, MetricUnit.Count, 1);
    },
    rotationCompleted: () => metrics.addMetric(MetricName.RotationCompleted, MetricUnit.Count, 1),
    flush: () => metrics.publishStoredMetrics(),
  };
}
