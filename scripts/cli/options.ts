import { parseArgs, type ParseArgsConfig } from 'node:util';
import { UsageError } from './exit-code.ts';

type OptionSpecs = NonNullable<ParseArgsConfig['options']>;

/** Options every command takes. */
export const COMMON_OPTIONS = {
  region: { type: 'string' },
  'endpoint-url': { type: 'string' },
  json: { type: 'boolean', default: false },
  'no-color': { type: 'boolean', default: false },
  help: { type: 'boolean', short: 'h', default: false },
} as const satisfies OptionSpecs;

export const COMMON_HELP = `Common options:
  --region <region>        AWS region (default: the SDK chain: AWS_REGION, AWS_DEFAULT_REGION, profile;
                           us-east-1 for a loopback --endpoint-url)
  --endpoint-url <url>     Secrets Manager endpoint, e.g. the local emulator
                           (default: AWS_ENDPOINT_URL_SECRETS_MANAGER, then AWS_ENDPOINT_URL, then AWS)
  --json                   machine-readable output on stdout (one JSON document)
  --no-color               no colours (also NO_COLOR=1; colours are only used on a terminal)
  -h, --help               this help`;

export interface CommonFlags {
  readonly region: string | undefined;
  readonly endpointUrl: string | undefined;
  readonly json: boolean;
  readonly noColor: boolean;
  readonly help: boolean;
}

export interface Parsed<V> {
  readonly values: V;
  readonly positionals: readonly string[];
  readonly common: CommonFlags;
}

/** parseArgs with the common options merged in; parse problems become UsageError (exit 2). */
export function parseCommand<const O extends OptionSpecs>(
  argv: readonly string[],
  options: O,
  allowPositionals = true,
) {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      options: { ...COMMON_OPTIONS, ...options },
      allowPositionals,
      strict: true,
    });
  } catch (error) {
    throw new UsageError(
      error instanceof Error
        ? error.message.replace(/\. To specify a positional argument.*$/s, '')
        : String(error),
    );
  }
  const values = parsed.values as Record<string, string | boolean | string[] | undefined>;
  const common: CommonFlags = {
    region: values['region'] as string | undefined,
    endpointUrl: values['endpoint-url'] as string | undefined,
    json: values['json'] === true,
    noColor: values['no-color'] === true,
    help: values['help'] === true,
  };
  return { values: parsed.values, positionals: parsed.positionals, common };
}

/** A positive integer option, or a usage error naming the option. */
export function intOption(
  name: string,
  raw: string | undefined,
  fallback: number,
  range: { readonly min: number; readonly max: number },
): number {
  if (raw === undefined) return fallback;
  if (!/^\d+$/.test(raw)) throw new UsageError(`--${name} must be a whole number, got "${raw}"`);
  const value = Number(raw);
  if (value < range.min || value > range.max)
    throw new UsageError(`--${name} must be between ${range.min} and ${range.max}, got ${value}`);
  return value;
}
