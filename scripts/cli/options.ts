import { parseArgs, type ParseArgsConfig } from 'node:util';
import { UsageError } from './exit-code.ts';

type OptionSpecs = NonNullable<ParseArgsConfig['options']>;

/** Options every command takes. */
export const COMMON_OPTIONS = {
  profile: { type: 'string' },
  region: { type: 'string' },
  'endpoint-url': { type: 'string' },
  output: { type: 'string' },
  query: { type: 'string' },
  json: { type: 'boolean', default: false },
  'no-color': { type: 'boolean', default: false },
  help: { type: 'boolean', short: 'h', default: false },
} as const satisfies OptionSpecs;

export const COMMON_HELP = `Common options:
  --profile <name>         a named profile of ~/.aws/config and ~/.aws/credentials (SSO, roles, keys)
                           (default: AWS_PROFILE, then the SDK's default chain)
  --region <region>        AWS region (default: the SDK chain: AWS_REGION, AWS_DEFAULT_REGION, profile;
                           us-east-1 for a loopback --endpoint-url)
  --endpoint-url <url>     Secrets Manager endpoint, e.g. the local emulator
                           (default: AWS_ENDPOINT_URL_SECRETS_MANAGER, then AWS_ENDPOINT_URL, then AWS)
  --output <table|json|text>
                           table: for people (the default); json: one JSON document on stdout;
                           text: the same document as tab-separated lines, like the AWS CLI's text
  --query <jmespath>       a JMESPath expression applied to the JSON document (implies --output json
                           unless --output text), e.g. --query 'secrets[?stuck].name'
  --json                   the same as --output json
  --no-color               no colours (also NO_COLOR=1; colours are only used on a terminal)
  -h, --help               this help`;

export const OutputFormat = { table: 'table', json: 'json', text: 'text' } as const;
export type OutputFormat = (typeof OutputFormat)[keyof typeof OutputFormat];

export interface CommonFlags {
  readonly profile: string | undefined;
  readonly region: string | undefined;
  readonly endpointUrl: string | undefined;
  /** A machine-readable document instead of tables: --output json|text, --query or --json. */
  readonly json: boolean;
  readonly output: OutputFormat;
  readonly query: string | undefined;
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
  const query = values['query'] as string | undefined;
  const output = outputFormat(values['output'] as string | undefined, values['json'] === true, query);
  const common: CommonFlags = {
    profile: values['profile'] as string | undefined,
    region: values['region'] as string | undefined,
    endpointUrl: values['endpoint-url'] as string | undefined,
    json: output !== OutputFormat.table,
    output,
    query,
    noColor: values['no-color'] === true,
    help: values['help'] === true,
  };
  return { values: parsed.values, positionals: parsed.positionals, common };
}

function outputFormat(raw: string | undefined, json: boolean, query: string | undefined): OutputFormat {
  if (raw !== undefined && !(Object.values(OutputFormat) as string[]).includes(raw))
    throw new UsageError(`--output must be table, json or text, got "${raw}"`);
  if (json && raw !== undefined && raw !== OutputFormat.json)
    throw new UsageError(`--json and --output ${raw} disagree; pass one of them`);
  if (query !== undefined && query.trim() === '') throw new UsageError('--query needs a JMESPath expression');
  if (query !== undefined && raw === OutputFormat.table)
    throw new UsageError('--query selects from the JSON document: use it with --output json or text');
  if (raw !== undefined) return raw as OutputFormat;
  return json || query !== undefined ? OutputFormat.json : OutputFormat.table;
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
