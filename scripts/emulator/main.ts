/** `npm run emulator -- --port N ...`: the emulator as a standalone process. */
import { parseCliOptions, USAGE } from './cli-options.ts';
import { startEmulator } from './emulator.ts';

async function main(): Promise<void> {
  let options;
  try {
    options = parseCliOptions(process.argv.slice(2));
  } catch (error) {
    console.error(`${error instanceof Error ? error.message : String(error)}\n\n${USAGE}`);
    process.exitCode = 2;
    return;
  }
  if (options.help) {
    console.log(USAGE);
    return;
  }
  const emulator = await startEmulator(options.emulator);
  for (const fn of options.functions) {
    const arn = emulator.registerFunction(fn.name, { path: fn.path });
    console.log(`function ${arn} -> ${fn.path}`);
  }
  console.log(`Secrets Manager emulator listening on ${emulator.endpoint}`);
  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    console.log(`${signal}: stopping`);
    emulator.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

main().catch((error: unknown) => {
  console.error('sm-emulator failed to start:', error instanceof Error ? error.message : String(error));
  process.exit(1);
});
