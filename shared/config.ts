import { ErrorCode, RotationError } from './errors.ts';

/** The environment as a plain record. Functions receive it; nothing else reads process.env. */
export type Env = Readonly<Record<string, string | undefined>>;

const TRUE_WORDS = new Set(['true', '1', 'y', 'yes']);
const FALSE_WORDS = new Set(['false', '0', 'n', 'no']);
/** Python's int() on a string: surrounding whitespace, a sign, digits with single underscores between them. */
const PYTHON_INT = /^\s*[+-]?\d+(?:_\d+)*\s*$/;

/**
 * Reads and validates environment variables, collecting every problem so they can be
 * reported at once, by variable name (never by value). Call `done(result)` to get the
 * frozen config or an ERR_CONFIG_INVALID error listing all problems.
 */
export class EnvReader {
  readonly #env: Env;
  readonly #problems: string[] = [];
  readonly #warnings: string[] = [];

  constructor(env: Env) {
    this.#env = env;
  }

  /** Raw trimmed value, or undefined when unset or blank. */
  raw(name: string): string | undefined {
    const value = this.#env[name];
    if (value === undefined) return undefined;
    const trimmed = value.trim();
    return trimmed === '' ? undefined : trimmed;
  }

  /** Whether the variable is set at all, the empty string included (an empty list is not an unset one). */
  isSet(name: string): boolean {
    return this.#env[name] !== undefined;
  }

  string(name: string, fallback: string): string;
  string(name: string): string | undefined;
  string(name: string, fallback?: string): string | undefined {
    return this.raw(name) ?? fallback;
  }

  /**
   * AWS's reading of a string knob (`os.environ.get(name, default)`): unset means the
   * fallback; any value that is set, the empty string included, is taken verbatim.
   */
  awsString(name: string, fallback: string): string {
    const value = this.#env[name];
    return value === undefined ? fallback : value;
  }

  /**
   * AWS's reading of an integer knob (`int(os.environ.get(name, default))`): unset means the
   * fallback; a set value must parse as Python's int() parses a string (surrounding
   * whitespace, a sign, `_` between digits), else it is a problem (AWS's function fails every
   * rotation with a ValueError; ours fails its first invocation naming the variable).
   */
  awsInt(name: string, fallback: number, range: { readonly min: number; readonly max: number }): number {
    const value = this.#env[name];
    if (value === undefined) return fallback;
    if (!PYTHON_INT.test(value)) {
      this.#problems.push(`${name} must be an integer`);
      return fallback;
    }
    const parsed = Number(value.trim().replaceAll('_', ''));
    if (parsed < range.min || parsed > range.max) {
      this.#problems.push(`${name} must be between ${range.min} and ${range.max}`);
      return fallback;
    }
    return parsed;
  }

  /**
   * AWS's reading of a boolean knob (`os.environ.get(name, str(default)).lower() in
   * ['true', '1', 'y', 'yes']`): unset means the fallback; a set value is true exactly when it
   * is one of those words in any case, with no trimming, so "", "on" and " true" are false. A
   * value that is neither one of them nor false/0/n/no is read the same way and noted as a
   * warning (by variable name), since it rarely means what its author intended.
   */
  awsBool(name: string, fallback: boolean): boolean {
    const value = this.#env[name];
    if (value === undefined) return fallback;
    const lower = value.toLowerCase();
    if (TRUE_WORDS.has(lower)) return true;
    if (!FALSE_WORDS.has(lower))
      this.#warnings.push(
        `${name} is not one of true, 1, y, yes (any case); read as false, as AWS's rotation functions do`,
      );
    return false;
  }

  int(name: string, fallback: number, range: { readonly min?: number; readonly max?: number } = {}): number {
    const value = this.raw(name);
    if (value === undefined) return fallback;
    if (!/^-?\d+$/.test(value)) {
      this.#problems.push(`${name} must be an integer`);
      return fallback;
    }
    const parsed = Number(value);
    if ((range.min !== undefined && parsed < range.min) || (range.max !== undefined && parsed > range.max)) {
      this.#problems.push(`${name} must be between ${range.min ?? '-inf'} and ${range.max ?? 'inf'}`);
      return fallback;
    }
    return parsed;
  }

  bool(name: string, fallback: boolean): boolean {
    const value = this.raw(name);
    if (value === undefined) return fallback;
    const lower = value.toLowerCase();
    if (TRUE_WORDS.has(lower)) return true;
    if (FALSE_WORDS.has(lower)) return false;
    this.#problems.push(`${name} must be true or false`);
    return fallback;
  }

  oneOf<const T extends string>(name: string, allowed: readonly T[], fallback: T): T {
    const value = this.raw(name);
    if (value === undefined) return fallback;
    if ((allowed as readonly string[]).includes(value)) return value as T;
    this.#problems.push(`${name} must be one of ${allowed.join(', ')}`);
    return fallback;
  }

  list(name: string, fallback: readonly string[]): readonly string[] {
    const value = this.raw(name);
    if (value === undefined) return fallback;
    return Object.freeze(
      value
        .split(',')
        .map((part) => part.trim())
        .filter((part) => part.length > 0),
    );
  }

  /** Record a problem found by the caller's own validation. */
  problem(message: string): void {
    this.#problems.push(message);
  }

  get problems(): readonly string[] {
    return [...this.#problems];
  }

  /** Values that were accepted but probably do not mean what was intended (logged once at start). */
  get warnings(): readonly string[] {
    return [...this.#warnings];
  }

  done<T extends object>(config: T): Readonly<T> {
    if (this.#problems.length > 0) {
      throw new RotationError(
        ErrorCode.ERR_CONFIG_INVALID,
        `Invalid configuration: ${this.#problems.join('; ')}`,
        {
          details: { problems: this.#problems.join('; ') },
        },
      );
    }
    return Object.freeze(config);
  }
}
