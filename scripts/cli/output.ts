import type { Env } from '../../shared/config.ts';

/**
 * Where the CLI writes. Commands never touch process.stdout directly, so tests pass a
 * memory sink and scan everything that was printed.
 */
export interface TextSink {
  write(text: string): void;
  /** True when a person is watching (a terminal). */
  readonly isTTY?: boolean;
  readonly columns?: number;
}

export interface Output {
  readonly stdout: TextSink;
  readonly stderr: TextSink;
  /** Colours on: stdout is a terminal and NO_COLOR is unset. */
  readonly color: boolean;
  /** Live progress (rewritten lines, progress bar) on: stderr is a terminal. */
  readonly live: boolean;
  /** How a command's document is printed (--query, --output text). Default: pretty JSON. */
  readonly renderDocument?: (document: unknown) => string;
}

export function createProcessOutput(
  env: Env,
  streams: { stdout: NodeJS.WriteStream; stderr: NodeJS.WriteStream } = process,
): Output {
  const noColor = env['NO_COLOR'] !== undefined && env['NO_COLOR'] !== '';
  return {
    stdout: streams.stdout,
    stderr: streams.stderr,
    color: Boolean(streams.stdout.isTTY) && !noColor && env['TERM'] !== 'dumb',
    live: Boolean(streams.stderr.isTTY) && env['TERM'] !== 'dumb',
  };
}

/** Everything printed, kept in memory (tests). */
export interface MemoryOutput extends Output {
  readonly text: () => string;
  readonly stdoutText: () => string;
  readonly stderrText: () => string;
}

export function createMemoryOutput(
  options: { readonly color?: boolean; readonly live?: boolean } = {},
): MemoryOutput {
  const out: string[] = [];
  const err: string[] = [];
  return {
    stdout: { write: (text) => void out.push(text), isTTY: options.live ?? false, columns: 120 },
    stderr: { write: (text) => void err.push(text), isTTY: options.live ?? false, columns: 120 },
    color: options.color ?? false,
    live: options.live ?? false,
    text: () => out.join('') + err.join(''),
    stdoutText: () => out.join(''),
    stderrText: () => err.join(''),
  };
}

const CODES = { red: 31, green: 32, yellow: 33, blue: 34, dim: 2, bold: 1 } as const;
export type Colour = keyof typeof CODES;

export type Painter = Readonly<Record<Colour, (text: string) => string>>;

export function painter(enabled: boolean): Painter {
  const make = (code: number) => (text: string) => (enabled ? `\u001b[${code}m${text}\u001b[0m` : text);
  return {
    red: make(CODES.red),
    green: make(CODES.green),
    yellow: make(CODES.yellow),
    blue: make(CODES.blue),
    dim: make(CODES.dim),
    bold: make(CODES.bold),
  };
}

/** Remove ANSI colour codes (for width computations and tests). */
export function stripAnsi(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/\u001b\[[0-9;]*[A-Za-z]/g, '');
}

export function writeLine(sink: TextSink, line = ''): void {
  sink.write(`${line}\n`);
}

export function writeJson(out: Output, value: unknown): void {
  out.stdout.write(out.renderDocument ? out.renderDocument(value) : `${JSON.stringify(value, null, 2)}\n`);
}

/** An AWS failure: a line on stderr for people, and with --json also `{command, error}` on stdout. */
export function reportAwsError(
  ctx: { readonly out: Output; readonly json: boolean },
  command: string,
  error: { readonly name: string; readonly message: string },
  line: string,
): void {
  writeLine(ctx.out.stderr, line);
  if (ctx.json) writeJson(ctx.out, { command, error });
}
