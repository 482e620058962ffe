/**
 * `npm run bench`: cold start, rotation latency, fleet throughput and memory, each a median
 * of repeated runs with its spread, on a local stack (emulator, TLS PostgreSQL, Redis).
 * Options: --runs N (default 7), --fleet N (default 1000), --concurrency N (default 48),
 * --only cold,latency,fleet,memory, --json FILE.
 */
process.env['AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED'] ??= 'true';

const { writeFile } = await import('node:fs/promises');
const { cpus, totalmem } = await import('node:os');
const { join } = await import('node:path');
const { fileURLToPath } = await import('node:url');
const { parseArgs } = await import('node:util');
const { staleBundles, runBuild } = await import('../start/ensure-build.ts');
const { startBenchStack } = await import('./bench-stack.ts');
const { benchColdStart } = await import('./cold-start.ts');
const { benchLatency } = await import('./latency.ts');
const { benchFleet } = await import('./fleet.ts');
const { benchMemory } = await import('./memory.ts');
const { formatMs } = await import('./stats.ts');

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '7' },
    fleet: { type: 'string', default: '1000' },
    concurrency: { type: 'string', default: '48' },
    only: { type: 'string', default: 'cold,latency,fleet,memory' },
    json: { type: 'string' },
    help: { type: 'boolean', default: false },
  },
});
if (values.help) {
  console.log(
    'Usage: npm run bench -- [--runs N] [--fleet N] [--concurrency N] [--only cold,latency,fleet,memory] [--json FILE]',
  );
  process.exit(0);
}
const runs = Number(values.runs);
const fleetSize = Number(values.fleet);
const concurrency = Number(values.concurrency);
const only = new Set(values.only.split(','));
const root = fileURLToPath(new URL('../..', import.meta.url));
const dist = join(root, 'dist');

if (staleBundles(root).length > 0) {
  console.log('building zips (npm run build)...');
  const build = await runBuild(root);
  if (build.code !== 0) {
    console.error(build.output);
    process.exit(1);
  }
}

const TARGETS = {
  zipKb: { jwt: 150, postgres: 150, redis: 200 },
  coldOverheadMs: 100,
  latencyRatio: 1.5,
  fleetSeconds: 60,
  peakMb: 96,
};
const mark = (ok: boolean): string => (ok ? 'ok' : 'MISSED');
const stack = await startBenchStack();
const report: Record<string, unknown> = {
  machine: {
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model,
    memoryGb: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    platform: process.platform,
  },
  date: new Date().toISOString(),
  runs,
  targets: TARGETS,
};
try {
  if (only.has('cold')) {
    const cold = await benchColdStart(stack, dist, runs);
    report['coldStart'] = cold;
    console.log('\n1. Cold start (fresh node process: load index.mjs + first invocation of a cheap step)');
    console.log('kind      zip KB   cold start            empty handler         overhead   targets');
    for (const r of cold) {
      const kb = r.zipBytes / 1000;
      console.log(
        `${r.kind.padEnd(9)} ${kb.toFixed(1).padStart(6)}   ${formatMs(r.coldMs).padEnd(21)} ${formatMs(r.floorMs).padEnd(21)} ${r.overheadMs.toFixed(0).padStart(5)} ms   zip ${mark(kb < TARGETS.zipKb[r.kind])}, overhead ${mark(r.overheadMs < TARGETS.coldOverheadMs)}`,
      );
    }
  }
  if (only.has('latency')) {
    const latency = await benchLatency(stack, runs);
    report['latency'] = latency;
    console.log(
      '\n2. Rotation latency, warm (RotateSecret to completion) vs floor (same SM round trips + target logins, direct)',
    );
    console.log(
      'case                               rotation              SM calls  logins  floor     ratio  target',
    );
    for (const r of latency) {
      console.log(
        `${r.name.padEnd(34)} ${formatMs(r.rotationMs).padEnd(21)} ${String(r.smCalls).padStart(8)}  ${String(r.logins).padStart(6)}  ${r.floorMs.toFixed(0).padStart(4)} ms  ${r.ratio.toFixed(2).padStart(5)}  ${mark(r.ratio <= TARGETS.latencyRatio)}`,
      );
    }
  }
  if (only.has('memory')) {
    const memory = await benchMemory(stack, dist, Math.max(3, Math.ceil(runs / 2)));
    report['memory'] = memory;
    console.log('\n4. Peak memory (maxRSS of a fresh function process through one full rotation)');
    for (const r of memory)
      console.log(
        `${r.kind.padEnd(9)} ${r.peakRssMb.median.toFixed(1)} MB (${r.peakRssMb.min.toFixed(1)}-${r.peakRssMb.max.toFixed(1)})  ${mark(r.peakRssMb.max < TARGETS.peakMb)}`,
      );
  }
  if (only.has('fleet')) {
    const fleet = await benchFleet(stack, dist, fleetSize, concurrency);
    report['fleet'] = fleet;
    console.log(
      `\n3. Fleet: ${fleet.secrets} mixed rotations (jwt ${fleet.byKind.jwt}, postgres ${fleet.byKind.postgres}, redis ${fleet.byKind.redis}), CLI concurrency ${fleet.concurrency}, zips in warm process pools`,
    );
    console.log(
      `wall ${(fleet.wallMs / 1000).toFixed(1)} s, ${fleet.rotationsPerSecond.toFixed(1)} rotations/s, failed ${fleet.failed}  ${mark(fleet.wallMs / 1000 < TARGETS.fleetSeconds && fleet.failed === 0)}`,
    );
    for (const problem of fleet.problems) console.log(`CLI run did not exit 0:\n${problem}`);
  }
} finally {
  await stack.close();
}
if (values.json) {
  await writeFile(values.json, `${JSON.stringify(report, null, 2)}\n`);
  console.log(`\nwrote ${values.json}`);
}
