import type { Violation } from './invariants.ts';
import type { ScheduleResult } from './run-schedule.ts';

/** Totals over a chaos run, and the text `npm run chaos` prints. */
export class ChaosReport {
  schedules = 0;
  rotations = 0;
  observations = 0;
  textsScanned = 0;
  /** Node-down faults (multi-node targets): nodes stopped, each started again later. */
  nodeStops = 0;
  readonly calls = new Map<string, number>();
  readonly faults = new Map<string, number>();
  readonly perTarget = new Map<string, number>();
  readonly failures: {
    readonly seed: number;
    readonly target: string;
    readonly violations: readonly Violation[];
    readonly trace: readonly string[];
  }[] = [];
  readonly crashes: { readonly seed: number; readonly target: string; readonly error: string }[] = [];
  /** Server logs scanned at the end of the run (PostgreSQL statement log), or why not. */
  serverLogScan = 'not run';
  readonly serverLogLeaks: {
    readonly source: string;
    readonly valueOrigin: string;
    readonly excerpt: string;
  }[] = [];

  add(result: ScheduleResult): void {
    this.schedules += 1;
    this.rotations += result.rotations;
    this.observations += result.observations;
    this.textsScanned += result.textsScanned;
    this.nodeStops += result.trace.filter((line) => line.startsWith('  nodes: stopped')).length;
    this.perTarget.set(result.target, (this.perTarget.get(result.target) ?? 0) + 1);
    for (const [point, count] of result.calls) this.calls.set(point, (this.calls.get(point) ?? 0) + count);
    for (const [key, count] of result.faults) this.faults.set(key, (this.faults.get(key) ?? 0) + count);
    if (result.violations.length > 0)
      this.failures.push({
        seed: result.seed,
        target: result.target,
        violations: result.violations,
        trace: result.trace,
      });
  }

  /** A schedule whose harness itself failed (not the function): reported, and counted as a failure. */
  crash(seed: number, target: string, error: unknown): void {
    this.schedules += 1;
    this.crashes.push({
      seed,
      target,
      error: error instanceof Error ? `${error.name}: ${error.message}` : String(error),
    });
  }

  get violationCount(): number {
    return this.failures.reduce((sum, failure) => sum + failure.violations.length, 0);
  }

  get ok(): boolean {
    return this.failures.length === 0 && this.crashes.length === 0 && this.serverLogLeaks.length === 0;
  }

  summary(elapsedMs: number, runSeed: number): string {
    const totalCalls = [...this.calls.values()].reduce((a, b) => a + b, 0);
    const totalFaults = [...this.faults.values()].reduce((a, b) => a + b, 0);
    const faultedPoints = new Set([...this.faults.keys()].map((key) => key.slice(0, key.lastIndexOf(':'))));
    const byKind = new Map<string, number>();
    for (const [key, count] of this.faults) {
      const kind = key.slice(key.lastIndexOf(':') + 1);
      byKind.set(kind, (byKind.get(kind) ?? 0) + count);
    }
    const lines = [
      `chaos run seed=${runSeed}: ${this.schedules} schedules in ${(elapsedMs / 1000).toFixed(1)} s (${(this.schedules / (elapsedMs / 1000)).toFixed(2)} schedules/s)`,
      `  targets: ${[...this.perTarget].map(([name, count]) => `${name}=${count}`).join(', ')}`,
      `  rotations: ${this.rotations}, invariant observations: ${this.observations}, texts scanned for leaks: ${this.textsScanned}`,
      `  injection points hit: ${this.calls.size} distinct, ${totalCalls} calls in total; faults injected: ${totalFaults} at ${faultedPoints.size} distinct points`,
      `  faults by kind: ${
        [...byKind]
          .sort()
          .map(([kind, count]) => `${kind}=${count}`)
          .join(', ') || 'none'
      }`,
      ...(this.nodeStops > 0
        ? [`  node-down faults: ${this.nodeStops} nodes stopped and started again`]
        : []),
      `  points: ${[...this.calls]
        .sort()
        .map(([point, count]) => `${point}=${count}`)
        .join(', ')}`,
      `  server logs scanned for leaks: ${this.serverLogScan}; values found there: ${this.serverLogLeaks.length}`,
      `  violations: ${this.violationCount} in ${this.failures.length} schedules; harness crashes: ${this.crashes.length}`,
    ];
    for (const leak of this.serverLogLeaks)
      lines.push(`LEAK in ${leak.source}: ${leak.valueOrigin}: ${leak.excerpt}`);
    for (const failure of this.failures) {
      lines.push('', `VIOLATION seed=${failure.seed} target=${failure.target}`);
      for (const violation of failure.violations)
        lines.push(`  [${violation.invariant}] at ${violation.at}: ${violation.detail}`);
      const pinned = failure.trace.find((line) => line.includes('(pinned)'));
      lines.push(
        `  replay: npm run chaos -- --replay ${failure.seed} --target ${failure.target}${pinned ? ` --pin ${pinned.replace(/.*pinned\) /, '')}` : ''}`,
        '  steps:',
      );
      lines.push(...failure.trace.map((line) => `    ${line}`));
    }
    for (const crash of this.crashes) {
      lines.push(
        '',
        `HARNESS CRASH seed=${crash.seed} target=${crash.target}: ${crash.error}`,
        `  replay: npm run chaos -- --replay ${crash.seed} --target ${crash.target}`,
      );
    }
    return lines.join('\n');
  }
}
