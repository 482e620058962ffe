import { parseArgs } from 'node:util';
import type { EmulatorOptions } from './emulator.ts';

export interface CliOptions {
  readonly emulator: EmulatorOptions;
  readonly functions: readonly { readonly name: string; readonly path: string }[];
  readonly help: boolean;
}

export const USAGE = `Usage: npm run emulator -- [options]

Runs a local AWS Secrets Manager (AWS JSON 1.1) on 127.0.0.1 until SIGINT/SIGTERM.

  --port N              port to listen on (default 4566; 0 picks a free port)
  --state FILE          keep state in a JSON file: loaded at start, written after each change
  --function NAME=PATH  register arn:aws:lambda:us-east-1:<account>:function:NAME as a rotation
                        function; PATH is a built zip (index.mjs) or a module exporting handler.
                        Repeatable.
  --retries N           whole-rotation retries after a failed attempt (default 2)
  --timeout-ms N        per-invocation timeout (default 30000)
  --region REGION       region for unsigned requests (default us-east-1)
  --replication-delay-ms N
                        time a change of a primary takes to reach its replica Regions (default 0)
  --verbose             print function output (otherwise kept in memory only)
  --help                show this text`;

function integer(flag: string, value: string | undefined, min: number, max: number): number | undefined {
  if (value === undefined) return undefined;
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < min || parsed > max)
    throw new Error(`${flag} must be an integer from ${min} to ${max}, got ${JSON.stringify(value)}`);
  return parsed;
}

/** Parse the CLI arguments; throws an Error naming the bad flag. */
export function parseCliOptions(argv: readonly string[]): CliOptions {
  const { values } = parseArgs({
    args: [...argv],
    strict: true,
    allowPositionals: false,
    options: {
      port: { type: 'string' },
      state: { type: 'string' },
      function: { type: 'string', multiple: true },
      retries: { type: 'string' },
      'timeout-ms': { type: 'string' },
      region: { type: 'string' },
      'replication-delay-ms': { type: 'string' },
      verbose: { type: 'boolean' },
      help: { type: 'boolean' },
    },
  });
  const functions = (values.function ?? []).map((spec) => {
    const index = spec.indexOf('=');
    const name = index > 0 ? spec.slice(0, index) : '';
    const path = index > 0 ? spec.slice(index + 1) : '';
    if (!name || !path) throw new Error(`--function expects NAME=PATH, got ${JSON.stringify(spec)}`);
    return { name, path };
  });
  const port = integer('--port', values.port, 0, 65535);
  const retries = integer('--retries', values.retries, 0, 100);
  const timeout = integer('--timeout-ms', values['timeout-ms'], 1, 900_000);
  const replicationDelay = integer('--replication-delay-ms', values['replication-delay-ms'], 0, 3_600_000);
  if (values.region !== undefined && !/^[a-z]{2}(-[a-z]+)+-\d$/.test(values.region))
    throw new Error(`--region is not a region name: ${JSON.stringify(values.region)}`);
  return {
    help: values.help ?? false,
    functions,
    emulator: {
      port: port ?? 4566,
      ...(values.state !== undefined ? { stateFile: values.state } : {}),
      ...(retries !== undefined ? { rotationRetries: retries } : {}),
      ...(timeout !== undefined ? { invocationTimeoutMs: timeout } : {}),
      ...(values.region !== undefined ? { region: values.region } : {}),
      ...(replicationDelay !== undefined ? { replicationDelayMs: replicationDelay } : {}),
      ...(values.verbose ? { verbose: true } : {}),
    },
  };
}
