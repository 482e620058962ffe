import {
  Phase,
  type ProgressSource,
  type RotationSnapshot,
  type StepError,
  type StepReport,
} from './rotation-snapshot.ts';

type FetchLike = (
  input: string,
  init?: { signal?: AbortSignal },
) => Promise<{ ok: boolean; status: number; json(): Promise<unknown> }>;

/**
 * Progress from the project's emulator: `GET <endpoint>/_emulator/rotations?secretId=<id>`
 * returns its rotation records (current step while running; per-step outcome, error,
 * duration and attempts when done). Not an AWS API: only used against the emulator.
 */
export function emulatorProgressSource(endpoint: string, fetchImpl: FetchLike): ProgressSource {
  return {
    mode: 'emulator',
    async snapshot(target, signal) {
      const records = await fetchRecords(endpoint, target.arn, fetchImpl, signal);
      const record = records.find((candidate) => candidate['token'] === target.versionId);
      if (record === undefined) return { phase: Phase.starting, steps: [] };
      return recordToSnapshot(record);
    },
  };
}

/** True when `endpoint` answers the emulator's rotation-record extension. */
export async function isEmulator(
  endpoint: string,
  fetchImpl: FetchLike,
  signal?: AbortSignal,
): Promise<boolean> {
  try {
    await fetchRecords(endpoint, 'probe', fetchImpl, signal);
    return true;
  } catch {
    return false;
  }
}

async function fetchRecords(
  endpoint: string,
  secretId: string,
  fetchImpl: FetchLike,
  signal?: AbortSignal,
): Promise<Record<string, unknown>[]> {
  const response = await fetchImpl(
    `${endpoint}/_emulator/rotations?secretId=${encodeURIComponent(secretId)}`,
    signal ? { signal } : {},
  );
  if (!response.ok) throw new Error(`emulator rotation records: HTTP ${response.status}`);
  const body = await response.json();
  const list = Array.isArray(body)
    ? body
    : isObject(body) && Array.isArray(body['rotations'])
      ? body['rotations']
      : undefined;
  if (list === undefined) throw new Error('emulator rotation records: unexpected body');
  return list.filter(isObject);
}

/** One emulator record to a snapshot. Tolerant of missing fields: it is a local tool. */
export function recordToSnapshot(record: Record<string, unknown>): RotationSnapshot {
  const steps: StepReport[] = (Array.isArray(record['steps']) ? record['steps'] : [])
    .filter(isObject)
    .map((raw) => ({
      step: String(raw['step'] ?? '?'),
      ok: raw['ok'] === true,
      ...(typeof raw['attempt'] === 'number' ? { attempt: raw['attempt'] } : {}),
      ...(typeof raw['durationMs'] === 'number' ? { durationMs: raw['durationMs'] } : {}),
      ...(isObject(raw['error']) ? { error: toStepError(raw['error']) } : {}),
    }));
  const attempts = typeof record['attempts'] === 'number' ? record['attempts'] : undefined;
  const outcome = record['outcome'];
  const lastFailed = [...steps].reverse().find((step) => !step.ok);
  if (outcome === 'succeeded')
    return { phase: Phase.succeeded, steps, ...(attempts !== undefined ? { attempts } : {}) };
  if (outcome === 'failed') {
    return {
      phase: Phase.failed,
      steps,
      ...(attempts !== undefined ? { attempts } : {}),
      ...(lastFailed ? { failedStep: lastFailed.step, step: lastFailed.step } : {}),
      ...(lastFailed?.error
        ? { error: lastFailed.error }
        : isObject(record['error'])
          ? { error: toStepError(record['error']) }
          : {}),
    };
  }
  const current = firstString(record['currentStep'], record['step']) ?? steps.at(-1)?.step;
  return {
    phase: current === undefined ? Phase.starting : Phase.running,
    steps,
    ...(current ? { step: current } : {}),
    ...(attempts !== undefined ? { attempts } : {}),
  };
}

function toStepError(raw: Record<string, unknown>): StepError {
  const code = firstString(raw['code']);
  return {
    name: firstString(raw['name']) ?? 'Error',
    ...(code ? { code } : {}),
    message: firstString(raw['message']) ?? '',
  };
}

function firstString(...values: unknown[]): string | undefined {
  for (const value of values) if (typeof value === 'string' && value !== '') return value;
  return undefined;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
