/**
 * `npm run chaos -- --schedules N --seed S [--targets a,b] [--concurrency C]`
 * `npm run chaos -- --replay <schedule seed> --target <name>` (one schedule, full trace)
 *
 * Starts the emulator and real servers, runs randomised fault schedules against every
 * kind, format and mode, prints the totals and every violation with its seed and steps,
 * and exits 1 on any violation.
 */
import type { FaultKind } from './fault-controller.ts';

process.env['AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED'] ??= 'true';

const { parseArgs } = await import('node:util');
const { SecretsManagerClient } = await import('@aws-sdk/client-secrets-manager');
const { startEmulator } = await import('../emulator/index.ts');
const { runChaos } = await import('./run-chaos.ts');
const { runSchedule } = await import('./run-schedule.ts');
const { runExhaustive } = await import('./run-exhaustive.ts');
const { ChaosReport } = await import('./chaos-report.ts');
const { openTargets, TARGET_NAMES } = await import('./targets/target-catalog.ts');

const { values } = parseArgs({
  options: {
    schedules: { type: 'string', default: '200' },
    seed: { type: 'string', default: '1' },
    targets: { type: 'string' },
    target: { type: 'string' },
    replay: { type: 'string' },
    exhaustive: { type: 'boolean', default: false },
    pin: { type: 'string' },
    concurrency: { type: 'string', default: '2' },
    'step-timeout-ms': { type: 'string', default: '400' },
    'max-minutes': { type: 'string' },
    help: { type: 'boolean', short: 'h', default: false },
  },
});

if (values.help) {
  process.stdout
    .write(`Usage: npm run chaos -- [--schedules N] [--seed S] [--targets ${TARGET_NAMES.join(',')}] [--concurrency C]
       npm run chaos -- --replay <schedule seed> --target <name>
       npm run chaos -- --exhaustive --seed S --targets <names>   (one fault at every call, every kind)
       npm run chaos -- --replay S --target <name> --pin <point>:<nth>:<kind>   (replay one exhaustive run)
Exit codes: 0 no violation, 1 violations (or a harness crash), 2 usage error.\n`);
  process.exit(0);
}

const toInt = (name: string, text: string | undefined): number => {
  const value = Number(text);
  if (!Number.isInteger(value) || value < 0) {
    process.stderr.write(`error: --${name} must be a non-negative integer\n`);
    process.exit(2);
  }
  return value;
};

const names =
  values.replay !== undefined
    ? [values.target ?? '']
    : (values.targets?.split(',').map((name) => name.trim()) ?? [...TARGET_NAMES]);
const unknown = names.filter((name) => !(TARGET_NAMES as readonly string[]).includes(name));
if (unknown.length > 0) {
  process.stderr.write(`error: unknown target ${unknown.join(', ')}; targets: ${TARGET_NAMES.join(', ')}\n`);
  process.exit(2);
}

const started = Date.now();
const stepTimeoutMs = toInt('step-timeout-ms', values['step-timeout-ms']);
const emulator = await startEmulator({
  port: 0,
  rotationRetries: 2,
  invocationTimeoutMs: Math.max(30_000, stepTimeoutMs * 20),
});
const client = new SecretsManagerClient({
  endpoint: emulator.endpoint,
  region: 'us-east-1',
  credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
  maxAttempts: 1,
});
const targets = await openTargets(names);
let report: InstanceType<typeof ChaosReport>;
try {
  if (values.exhaustive) {
    report = new ChaosReport();
    for (const target of targets) {
      const one = await runExhaustive({
        target,
        seed: toInt('seed', values.seed),
        emulator,
        client,
        stepTimeoutMs,
      });
      for (const failure of one.failures) report.failures.push(failure);
      for (const crash of one.crashes) report.crashes.push(crash);
      report.schedules += one.schedules;
      report.rotations += one.rotations;
      report.observations += one.observations;
      report.textsScanned += one.textsScanned;
      for (const [name, count] of one.perTarget) report.perTarget.set(name, count);
      for (const [point, count] of one.calls) report.calls.set(point, (report.calls.get(point) ?? 0) + count);
      for (const [key, count] of one.faults) report.faults.set(key, (report.faults.get(key) ?? 0) + count);
      process.stderr.write(
        `  exhaustive ${target.name}: ${one.schedules} runs, ${one.violationCount} violations\n`,
      );
    }
  } else if (values.replay !== undefined) {
    report = new ChaosReport();
    // --pin point:nth:kind replays one run of an exhaustive sweep (that single fault, no random ones).
    const pin = values.pin?.split(':');
    const pinned =
      pin && pin.length === 3
        ? {
            probability: 0,
            pinned: [{ point: pin[0]!, nth: toInt('pin', pin[1]), kind: pin[2] as FaultKind }],
          }
        : {};
    const result = await runSchedule({
      seed: toInt('replay', values.replay),
      target: targets[0]!,
      emulator,
      client,
      stepTimeoutMs,
      verbose: true,
      ...pinned,
    });
    report.add(result);
    process.stdout.write(`${result.trace.join('\n')}\n\n`);
  } else {
    const maxMinutes =
      values['max-minutes'] !== undefined ? toInt('max-minutes', values['max-minutes']) : undefined;
    let lastPrint = Date.now();
    let printedFailures = 0;
    report = await runChaos({
      schedules: toInt('schedules', values.schedules),
      seed: toInt('seed', values.seed),
      targets,
      emulator,
      client,
      concurrency: toInt('concurrency', values.concurrency),
      stepTimeoutMs,
      ...(maxMinutes !== undefined ? { deadlineMs: maxMinutes * 60_000 } : {}),
      onProgress: (progress) => {
        // Print each violating schedule as soon as it is known (a long run can be cut short).
        while (printedFailures < progress.failures.length) {
          const failure = progress.failures[printedFailures]!;
          printedFailures += 1;
          process.stderr.write(
            `  VIOLATION seed=${failure.seed} target=${failure.target}: ${failure.violations.map((v) => `[${v.invariant}] ${v.at}: ${v.detail}`).join('; ')}\n`,
          );
          process.stderr.write(`${failure.trace.map((line) => `      | ${line}`).join('\n')}\n`);
        }
        if (Date.now() - lastPrint < 10_000) return;
        lastPrint = Date.now();
        process.stderr.write(
          `  ... ${progress.schedules} schedules, ${progress.violationCount} violations, ${((Date.now() - started) / 1000).toFixed(0)} s\n`,
        );
      },
    });
  }
} finally {
  for (const target of targets) await target.close().catch(() => undefined);
  await emulator.close();
}
process.stdout.write(`${report.summary(Date.now() - started, toInt('seed', values.seed))}\n`);
process.exit(report.ok ? 0 : 1);
