/**
 * `npm run bench`: cold start, rotation latency, fleet throughput and memory, each a median
 * of repeated runs with its spread, on a local stack (emulator, TLS PostgreSQL, Redis).
 * Options: --runs N (default 7), --fleet N (default 1000), --concurrency N (default 48),
 * --warm N (rotations in one warm process, default 100), --only imports,cold,latency,progress,fleet,memory,
 * --json FILE. Child processes get only PATH and the function's environment: NODE_EXTRA_CA_CERTS
 * (about 85 ms of every Node start here; Lambda does not set it) stays unset in them.
 */
process.env['AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED'] ??= 'true';

const { writeFile } = await import('node:fs/promises');
const { cpus, loadavg, totalmem } = await import('node:os');
const { join } = await import('node:path');
const { fileURLToPath } = await import('node:url');
const { parseArgs } = await import('node:util');
const { staleBundles, runBuild } = await import('../start/ensure-build.ts');
const { startBenchStack } = await import('./bench-stack.ts');
const { benchColdStart } = await import('./cold-start.ts');
const { benchLatency } = await import('./latency.ts');
const { benchProgressTags, formatFineMs } = await import('./progress-tags.ts');
const { benchFleet } = await import('./fleet.ts');
const { benchMemory, benchWarmMemory } = await import('./memory.ts');
const { benchImportCost } = await import('./import-cost.ts');
const { LAMBDA_NODE_OPTIONS } = await import('../../infra/cdk/src/node-options.ts');
const { formatMs } = await import('./stats.ts');
const { ZIP_SIZE_LIMITS } = await import('../build/build-functions.ts');

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '7' },
    fleet: { type: 'string', default: '1000' },
    concurrency: { type: 'string', default: '48' },
    warm: { type: 'string', default: '100' },
    only: { type: 'string', default: 'imports,cold,latency,progress,fleet,memory' },
    json: { type: 'string' },
    help: { type: 'boolean', default: false },
  },
});
if (values.help) {
  console.log(
    'Usage: npm run bench -- [--runs N] [--fleet N] [--concurrency N] [--warm N] [--only imports,cold,latency,progress,fleet,memory] [--json FILE]',
  );
  process.exit(0);
}
const runs = Number(values.runs);
const fleetSize = Number(values.fleet);
const concurrency = Number(values.concurrency);
const warmRotations = Number(values.warm);
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
  /** The build's own size budgets (scripts/build/build-functions.ts), in KB of 1,000 bytes. */
  zipKb: Object.fromEntries(Object.entries(ZIP_SIZE_LIMITS).map(([kind, bytes]) => [kind, bytes / 1000])),
  coldOverheadMs: 100,
  latencyRatio: 1.5,
  fleetSeconds: 60,
  peakMb: 64,
  plateauMb: 80,
  importMs: 80,
  smCalls: { postgresSingleUser: 12, postgresAlternating: 13, aws: 14 },
};
const load = (): string =>
  loadavg()
    .map((n) => n.toFixed(2))
    .join(' ');
const mark = (ok: boolean): string => (ok ? 'ok' : 'MISSED');
/** The call goals: PostgreSQL single user ≤ 12, alternating users ≤ 13. */
const callsMark = (r: { readonly name: string; readonly smCallsWithHistory: number }): string => {
  const goal = r.name.startsWith('postgres single')
    ? TARGETS.smCalls.postgresSingleUser
    : r.name.startsWith('postgres alternating')
      ? TARGETS.smCalls.postgresAlternating
      : undefined;
  return goal === undefined ? '' : ` ${mark(r.smCallsWithHistory <= goal)}`;
};
console.log(
  `load average at start: ${load()} (${cpus().length} cores); NODE_EXTRA_CA_CERTS unset in every child`,
);
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
  if (only.has('imports')) {
    const imports = await benchImportCost(root, dist, runs);
    report['imports'] = imports;
    console.log(
      `\n0. Import cost: await import() alone in a fresh node, median (p25-p75); KB: index.mjs and the chunks it imports statically (lazy chunks load later); load ${load()}`,
    );
    for (const r of imports.functions)
      console.log(
        `${r.name.padEnd(30)} ${(r.bytes / 1000).toFixed(0).padStart(5)} KB  ${formatMs(r.importMs).padEnd(21)} ${mark(r.importMs.median < TARGETS.importMs)}`,
      );
    console.log('each part bundled alone (parts share the SDK core, so they do not add up):');
    for (const r of imports.parts)
      console.log(
        `  ${r.name.padEnd(28)} ${(r.bytes / 1000).toFixed(0).padStart(5)} KB  ${formatMs(r.importMs)}`,
      );
  }
  if (only.has('cold')) {
    const cold = await benchColdStart(stack, dist, runs);
    report['coldStart'] = cold;
    console.log(
      `\n1. Cold start (fresh node process: load index.mjs + first invocation of a cheap step); load ${load()}`,
    );
    console.log('kind      zip KB   cold start            empty handler         overhead   targets');
    for (const r of cold) {
      const kb = r.zipBytes / 1000;
      console.log(
        `${r.kind.padEnd(9)} ${kb.toFixed(1).padStart(6)}   ${formatMs(r.coldMs).padEnd(21)} ${formatMs(r.floorMs).padEnd(21)} ${r.overheadMs.toFixed(0).padStart(5)} ms   zip ${mark(kb <= (TARGETS.zipKb[r.kind] ?? Infinity))}, overhead ${mark(r.overheadMs < TARGETS.coldOverheadMs)}`,
      );
    }
  }
  if (only.has('latency')) {
    const latency = await benchLatency(stack, runs);
    report['latency'] = latency;
    console.log(
      `\n2. Rotation latency, warm (RotateSecret to completion) vs floor (same SM round trips + target logins, direct); SM calls are the function's (new secrets, no history); load ${load()}`,
    );
    console.log(
      'case                               rotation              SM calls  logins  floor     ratio  target  SM calls, fresh process, 4 rotations of history (AWS: 14)',
    );
    for (const r of latency) {
      console.log(
        `${r.name.padEnd(34)} ${formatMs(r.rotationMs).padEnd(21)} ${String(r.smCalls).padStart(8)}  ${String(r.logins).padStart(6)}  ${r.floorMs.toFixed(0).padStart(4)} ms  ${r.ratio.toFixed(2).padStart(5)}  ${mark(r.ratio <= TARGETS.latencyRatio).padEnd(6)}  ${r.smCallsWithHistory}${callsMark(r)}`,
      );
    }
  }
  if (only.has('progress')) {
    const progress = await benchProgressTags(stack, runs);
    report['progressTags'] = progress;
    console.log(
      `\n2b. Progress tags (RotationProgress:*): their TagResource calls per rotation, timed at the function's port, and rotations with vs without them (alternated); load ${load()}`,
    );
    console.log(
      'case                               writes  in TagResource / rotation  per call              rotation with         without               added',
    );
    for (const r of progress)
      console.log(
        `${r.name.padEnd(34)} ${String(r.writesPerRotation).padStart(6)}  ${formatFineMs(r.tagMsPerRotation).padEnd(25)}  ${formatFineMs(r.tagMsPerCall).padEnd(20)}  ${formatMs(r.rotationWithMs).padEnd(20)}  ${formatMs(r.rotationWithoutMs).padEnd(20)}  ${r.addedMs.toFixed(0).padStart(4)} ms`,
      );
  }
  if (only.has('memory')) {
    const memory = await benchMemory(stack, dist, Math.max(3, Math.ceil(runs / 2)), LAMBDA_NODE_OPTIONS);
    report['memory'] = memory;
    console.log(
      `\n4. Peak memory (maxRSS of a fresh function process through one full rotation, deployed NODE_OPTIONS); load ${load()}`,
    );
    for (const r of memory)
      console.log(
        `${r.kind.padEnd(9)} ${r.peakRssMb.median.toFixed(1)} MB (${r.peakRssMb.min.toFixed(1)}-${r.peakRssMb.max.toFixed(1)})  ${mark(r.peakRssMb.median < TARGETS.peakMb)}`,
      );
    const warm: Record<string, unknown> = {};
    for (const [label, nodeOptions] of [
      ['Node defaults', undefined],
      [`deployed NODE_OPTIONS (${LAMBDA_NODE_OPTIONS})`, LAMBDA_NODE_OPTIONS],
    ] as const) {
      const results = await benchWarmMemory(stack, dist, warmRotations, nodeOptions);
      warm[label] = results;
      console.log(
        `\n5. Warm process, ${warmRotations} rotations of a few secrets in turn (zip in one pooled process), ${label}; load ${load()}`,
      );
      console.log('kind      peak RSS   plateau RSS   SM calls/rotation (secrets with history)');
      for (const r of results)
        console.log(
          `${r.kind.padEnd(9)} ${r.peakRssMb.toFixed(1).padStart(6)} MB ${r.plateauRssMb.toFixed(1).padStart(8)} MB ${mark(r.plateauRssMb < TARGETS.plateauMb).padEnd(6)}  ${r.smCallsPerRotation}`,
        );
    }
    report['warmMemory'] = warm;
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
