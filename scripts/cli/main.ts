/**
 * The `rotation` command's process entry: reads the environment once, wires the terminal
 * and Ctrl-C, runs the command and exits with its code.
 */
// The SDK warns on every run under Node 20 (the Lambda target is Node 22); the CLI is not the place for it.
// Set before the SDK loads, hence the dynamic imports below.
process.env['AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED'] ??= 'true';

const { createTtyConfirm } = await import('./confirm.ts');
const { ExitCode } = await import('./exit-code.ts');
const { createProcessOutput } = await import('./output.ts');
const { runCli } = await import('./run-cli.ts');

const env = { ...process.env };
const controller = new AbortController();
let interrupts = 0;
process.on('SIGINT', () => {
  interrupts++;
  if (interrupts > 1) process.exit(ExitCode.interrupted);
  controller.abort(new Error('interrupted'));
});

const code = await runCli(process.argv.slice(2), {
  env,
  out: createProcessOutput(env),
  confirm: createTtyConfirm(process.stdin, process.stderr),
  signal: controller.signal,
});
process.exitCode = controller.signal.aborted ? ExitCode.interrupted : code;
