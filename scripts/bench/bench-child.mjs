// The child side of the cold-start and memory benchmarks: a fresh `node` process that loads a
// function the way Lambda does (import the entry, call handler(event, context)) and reports
// on stdout as one JSON line. Plain JavaScript on purpose: no loader stands between node and
// the bundle being measured.
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';

const [entry, eventsJson] = process.argv.slice(2);
const events = JSON.parse(eventsJson ?? '[]');
let error;
let importMs;
try {
  const started = performance.now();
  const mod = await import(pathToFileURL(entry).href);
  importMs = performance.now() - started;
  for (const event of events) {
    await mod.handler(event, { awsRequestId: 'bench', functionName: 'bench' });
  }
} catch (thrown) {
  error = { name: thrown?.name, code: thrown?.code, message: thrown?.message };
}
const report = {
  ok: error === undefined,
  importMs,
  maxRssKb: process.resourceUsage().maxRSS,
  ...(error ? { error } : {}),
};
process.stdout.write(`BENCH ${JSON.stringify(report)}\n`);
process.exit(0);
