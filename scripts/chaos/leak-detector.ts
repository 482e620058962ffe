/**
 * Records every secret value a run generates or stores and scans text (log lines, error
 * messages, metrics, CLI output, server logs) for any of them, in the forms a leak would
 * take: verbatim, JSON-escaped (log lines are JSON) and URL-encoded (connection URLs).
 *
 * Secret material (passwords, tokens, keys: not whole SecretStrings, which hold host and user
 * names) is also searched for by fragment: every run of FRAGMENT_LENGTH characters of it, so
 * a parser that cut a password in two and logged one half as a host is caught. A fragment
 * carries at least 36 bits (6 characters of a base64 or password alphabet; 9 of hex, whose
 * shorter runs turn up in version ids by chance).
 */

/** JSON keys whose string values are secret material. */
const SECRET_KEY = /pass|secret|token|key|auth|credential|^(k|d|p|q|dp|dq|qi)$/i;
/** Names that look secret but hold identifiers (adminSecretArn, secretArn). */
const IDENTIFIER_KEY = /arn$|id$/i;
/** Shorter strings are too likely to appear by chance (and are never generated secrets here). */
const MIN_LENGTH = 8;
/** The shortest part of a secret that counts as a leak. */
export const FRAGMENT_LENGTH = 6;
const HEX_FRAGMENT_LENGTH = 9;

export interface LeakFinding {
  readonly source: string;
  /** Where the value came from (never the value): e.g. "secret chaos-1 version abc AWSPENDING field password". */
  readonly valueOrigin: string;
  /** The text around the hit, with the value itself replaced. */
  readonly excerpt: string;
}

export class LeakDetector {
  readonly #values = new Map<string, string>();

  readonly #fragments = new Map<string, string>();
  readonly #byFragment: boolean;
  #fragmentScannedChars = 0;

  /**
   * `fragments`: also search for every FRAGMENT_LENGTH-character run of each secret value.
   * Only for runs whose values are random through and through (the leak canary, the bad-input
   * catalogue): a structured test password ("chaos-memory-1-pw") shares runs with secret names.
   */
  constructor(options: { readonly fragments?: boolean } = {}) {
    this.#byFragment = options.fragments ?? false;
  }

  get size(): number {
    return this.#values.size;
  }

  /** How many distinct fragments are searched for, and how many characters of text were searched. */
  get fragmentStats(): { readonly fragments: number; readonly scannedChars: number } {
    return { fragments: this.#fragments.size, scannedChars: this.#fragmentScannedChars };
  }

  /** Record one secret value (a password, a token, a key), whole and by fragment. */
  add(value: string, origin: string): void {
    this.#addWhole(value, origin);
    this.#addFragments(value, origin);
  }

  #addWhole(value: string, origin: string): void {
    if (value.length < MIN_LENGTH || this.#values.has(value)) return;
    this.#values.set(value, origin);
  }

  #addFragments(value: string, origin: string): void {
    if (!this.#byFragment) return;
    const length = /^[0-9a-f]+$/i.test(value) ? HEX_FRAGMENT_LENGTH : FRAGMENT_LENGTH;
    for (let i = 0; i + length <= value.length; i += 1) {
      const fragment = value.slice(i, i + length);
      if (!this.#fragments.has(fragment)) this.#fragments.set(fragment, `${origin} (fragment)`);
    }
  }

  /** Record a stored SecretString: the whole string, its secret JSON fields and any URL password. */
  addSecretString(secretString: string, origin: string): void {
    this.#addWhole(secretString, origin);
    let parsed: unknown;
    try {
      parsed = JSON.parse(secretString);
    } catch {
      this.#addUrlPassword(secretString, origin);
      return;
    }
    this.#walk(parsed, origin, '');
  }

  #walk(value: unknown, origin: string, key: string): void {
    if (typeof value === 'string') {
      if (SECRET_KEY.test(key) && !IDENTIFIER_KEY.test(key)) this.add(value, `${origin} field ${key}`);
      this.#addUrlPassword(value, `${origin} field ${key}`);
      return;
    }
    if (Array.isArray(value)) {
      for (const item of value) this.#walk(item, origin, key);
      return;
    }
    if (value !== null && typeof value === 'object') {
      // Object members are judged by their own names (a kid under "keys" is not secret);
      // array items inherit the array's name (a list of passwords is).
      for (const [childKey, child] of Object.entries(value)) this.#walk(child, origin, childKey);
    }
  }

  #addUrlPassword(text: string, origin: string): void {
    if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(text)) return;
    try {
      const url = new URL(text);
      if (url.password) this.add(decodeURIComponent(url.password), `${origin} url password`);
    } catch {
      // not a URL after all
    }
  }

  /** Copy every value recorded here into `other` (a run-wide detector). */
  copyTo(other: LeakDetector): void {
    for (const [value, origin] of this.#values) other.#addWhole(value, origin);
    for (const [fragment, origin] of this.#fragments)
      if (other.#byFragment && !other.#fragments.has(fragment)) other.#fragments.set(fragment, origin);
  }

  /** Every recorded value found in `text`. */
  scan(source: string, text: string): LeakFinding[] {
    const findings: LeakFinding[] = [];
    for (const [value, origin] of this.#values) {
      for (const form of forms(value)) {
        const at = text.indexOf(form);
        if (at < 0) continue;
        const excerpt = `${text.slice(Math.max(0, at - 60), at)}<secret>${text.slice(at + form.length, at + form.length + 60)}`;
        findings.push({ source, valueOrigin: origin, excerpt: this.redact(excerpt) });
        break;
      }
    }
    if (findings.length === 0) findings.push(...this.#scanFragments(source, text));
    return findings;
  }

  /** Every window of the text looked up among the fragments (also JSON-unescaped text, for log lines). */
  #scanFragments(source: string, text: string): LeakFinding[] {
    if (this.#fragments.size === 0) return [];
    const findings: LeakFinding[] = [];
    const seen = new Set<string>();
    for (const form of new Set([text, unescapeJson(text)])) {
      this.#fragmentScannedChars += form.length;
      for (const length of [FRAGMENT_LENGTH, HEX_FRAGMENT_LENGTH]) {
        for (let i = 0; i + length <= form.length; i += 1) {
          const window = form.slice(i, i + length);
          const origin = this.#fragments.get(window);
          if (origin === undefined || seen.has(origin)) continue;
          seen.add(origin);
          const excerpt = `${form.slice(Math.max(0, i - 60), i)}<fragment>${form.slice(i + length, i + length + 60)}`;
          findings.push({ source, valueOrigin: origin, excerpt: this.redact(excerpt) });
        }
      }
    }
    return findings;
  }

  scanAll(source: string, texts: Iterable<string>): LeakFinding[] {
    const findings: LeakFinding[] = [];
    for (const text of texts) findings.push(...this.scan(source, text));
    return findings;
  }

  /** Replace every recorded value in `text` (so a report about a leak does not leak it again). */
  redact(text: string): string {
    let out = text;
    for (const value of this.#values.keys())
      for (const form of forms(value)) out = out.split(form).join('<secret>');
    for (const length of [FRAGMENT_LENGTH, HEX_FRAGMENT_LENGTH]) {
      let i = 0;
      while (i + length <= out.length) {
        if (this.#fragments.has(out.slice(i, i + length))) {
          out = `${out.slice(0, i)}<fragment>${out.slice(i + length)}`;
          i += '<fragment>'.length;
        } else i += 1;
      }
    }
    return out;
  }
}

function forms(value: string): string[] {
  const all = new Set([value, JSON.stringify(value).slice(1, -1), encodeURIComponent(value)]);
  return [...all].filter((form) => form.length >= MIN_LENGTH);
}

function unescapeJson(text: string): string {
  return text.replace(/\\(["\\/])/g, '$1');
}

/** The text of an error for scanning: name, message, code, details, and the same for its causes. */
export function errorText(error: unknown, depth = 0): string {
  if (depth > 5 || error === null || error === undefined) return '';
  if (!(error instanceof Error)) return typeof error === 'string' ? error : safeJson(error);
  const details = (error as { details?: unknown }).details;
  const code = (error as { code?: unknown }).code;
  return [
    error.name,
    String(code ?? ''),
    error.message,
    details === undefined ? '' : safeJson(details),
    error.stack ?? '',
    errorText(error.cause, depth + 1),
  ].join('\n');
}

function safeJson(value: unknown): string {
  try {
    return JSON.stringify(value) ?? '';
  } catch {
    return String(value);
  }
}
