/**
 * `npm start`: the whole project working locally in well under a minute (see
 * scripts/start/run-start.ts). Reads the environment once; Ctrl-C stops everything it
 * started before exiting.
 */
// The SDK warns on every client under Node 20; set before it loads (dynamic imports below).
process.env['AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED'] ??= 'true';

const { Cleanup } = await import('./cleanup.ts');
const { createProcessOutput } = await import('../cli/output.ts');
const { runStart } = await import('./run-start.ts');

const env = { ...process.env };
const cleanup = new Cleanup();
const controller = new AbortController();
const onSignal = (signal: NodeJS.Signals): void => {
  if (controller.signal.aborted) process.exit(130);
  controller.abort();
  process.stderr.write(`\n${signal}: stopping everything npm start started...\n`);
  void cleanup.run().finally(() => process.exit(130));
};
process.on('SIGINT', onSignal);
process.on('SIGTERM', onSignal);

const started = Date.now();
const code = await runStart({ env, out: createProcessOutput(env), signal: controller.signal, cleanup });
process.stdout.write(
  `npm start finished in ${((Date.now() - started) / 1000).toFixed(1)} s (exit ${code})\n`,
);
process.exit(code);
