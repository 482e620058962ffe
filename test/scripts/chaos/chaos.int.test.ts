import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type Emulator } from '../../../scripts/emulator/index.ts';
import { FaultKind } from '../../../scripts/chaos/fault-controller.ts';
import { Invariant } from '../../../scripts/chaos/invariants.ts';
import { runChaos } from '../../../scripts/chaos/run-chaos.ts';
import { runSchedule } from '../../../scripts/chaos/run-schedule.ts';
import type { ChaosTarget } from '../../../scripts/chaos/targets/chaos-target.ts';
import { memoryTarget } from '../../../scripts/chaos/targets/memory-target.ts';
import { openTargets, TARGET_NAMES } from '../../../scripts/chaos/targets/target-catalog.ts';

// A fixed-seed sample of the chaos run (`npm run chaos`) across every kind, format and mode,
// against the emulator and real Redis/PostgreSQL servers; plus proof that the harness fails
// when a strategy is wrong.

const SAMPLE_SEED = 20261123;
const SCHEDULES_PER_TARGET = 6;

let emulator: Emulator;
let client: SecretsManagerClient;
let targets: ChaosTarget[];

beforeAll(async () => {
  emulator = await startEmulator({ port: 0, rotationRetries: 2, invocationTimeoutMs: 30_000 });
  client = new SecretsManagerClient({
    endpoint: emulator.endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
    maxAttempts: 1,
  });
  targets = await openTargets(TARGET_NAMES);
});

afterAll(async () => {
  for (const target of targets ?? []) await target.close();
  client?.destroy();
  await emulator?.close();
});

describe('chaos sample', () => {
  it('keeps every invariant across a fixed-seed sample of fault schedules on every target', async () => {
    const report = await runChaos({
      schedules: SCHEDULES_PER_TARGET * targets.length,
      seed: SAMPLE_SEED,
      targets,
      emulator,
      client,
      concurrency: 4,
    });
    const summary = report.summary(1, SAMPLE_SEED);
    expect(report.crashes, summary).toEqual([]);
    expect(
      report.failures.map(
        (failure) =>
          `${failure.target} ${failure.seed}: ${failure.violations.map((v) => v.detail).join('; ')}`,
      ),
      summary,
    ).toEqual([]);
    expect(report.schedules).toBe(SCHEDULES_PER_TARGET * targets.length);
    // The PostgreSQL statement log was scanned for every value of every schedule.
    expect(report.serverLogScan).toMatch(/^1 log\(s\) against \d+ values$/);
    expect(report.serverLogLeaks).toEqual([]);
    // Every target ran, and faults really were injected at Secrets Manager and at the targets.
    for (const target of targets) expect(report.perTarget.get(target.name)).toBe(SCHEDULES_PER_TARGET);
    const faulted = [...report.faults.keys()];
    expect(faulted.some((key) => key.startsWith('secrets.'))).toBe(true);
    expect(faulted.some((key) => key.startsWith('redis.'))).toBe(true);
    for (const kind of Object.values(FaultKind))
      expect(
        faulted.some((key) => key.endsWith(`:${kind}`)),
        kind,
      ).toBe(true);
  }, 240_000);
});

describe('the harness catches broken strategies', () => {
  it('reports a completion violation when setSecret cannot be retried after a crash that landed', async () => {
    const target = memoryTarget('set-not-idempotent');
    const result = await runSchedule({
      seed: 7,
      target,
      emulator,
      client,
      probability: 0,
      pinned: [{ point: 'memory.setPassword', nth: 1, kind: FaultKind.failAfter }],
    });
    expect(result.violations.map((violation) => violation.invariant)).toContain(Invariant.completion);
    expect(result.trace.join('\n')).toContain('ERR_NO_WORKING_CREDENTIAL');
  });

  it('reports a leak when a strategy logs a generated password', async () => {
    const result = await runSchedule({
      seed: 8,
      target: memoryTarget('logs-password'),
      emulator,
      client,
      probability: 0,
    });
    const leaks = result.violations.filter((violation) => violation.invariant === Invariant.noLeak);
    expect(leaks.length).toBeGreaterThan(0);
    // The report names where the value came from, never the value.
    expect(leaks[0]?.detail).toContain('<secret>');
  });

  it('replays a schedule identically from its seed', async () => {
    const target = targets.find((candidate) => candidate.name === 'jwt/keyring') as ChaosTarget;
    const strip = (trace: readonly string[]): string[] =>
      trace.map((line) => line.replace(/[0-9a-f]{8}(?=\b)/g, '<token>'));
    const first = await runSchedule({
      seed: 99,
      target,
      emulator,
      client,
      kinds: [FaultKind.failBefore, FaultKind.failAfter, FaultKind.throttle],
    });
    const second = await runSchedule({
      seed: 99,
      target,
      emulator,
      client,
      kinds: [FaultKind.failBefore, FaultKind.failAfter, FaultKind.throttle],
    });
    expect(strip(second.trace)).toEqual(strip(first.trace));
  });
});
