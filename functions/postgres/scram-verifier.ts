import { createHash, createHmac, pbkdf2Sync, randomBytes } from 'node:crypto';
import type { Sensitive } from '../../shared/sensitive.ts';

/**
 * SCRAM-SHA-256 verifiers (RFC 5802, RFC 7677), computed in the function so that
 * `ALTER ROLE ... PASSWORD` carries a verifier and never the plaintext: a server with
 * `log_statement = 'all'` logs the verifier, from which the password cannot be read back
 * (it can only be brute-forced, hopeless for 32 random characters).
 *
 * Format, as PostgreSQL stores it in pg_authid.rolpassword:
 *   SCRAM-SHA-256$<iterations>:<base64 salt>$<base64 StoredKey>:<base64 ServerKey>
 */

/** PostgreSQL's default (scram_iterations), and our floor. */
export const SCRAM_MIN_ITERATIONS = 4096;
export const SCRAM_SALT_BYTES = 16;

export interface ScramKeys {
  readonly clientKey: Buffer;
  readonly storedKey: Buffer;
  readonly serverKey: Buffer;
}

export function scramKeys(password: string, salt: Buffer, iterations: number): ScramKeys {
  const salted = pbkdf2Sync(Buffer.from(saslPrep(password), 'utf8'), salt, iterations, 32, 'sha256');
  const clientKey = createHmac('sha256', salted).update('Client Key').digest();
  const serverKey = createHmac('sha256', salted).update('Server Key').digest();
  return { clientKey, storedKey: createHash('sha256').update(clientKey).digest(), serverKey };
}

export interface ScramVerifierOptions {
  readonly iterations?: number;
  /** Fixed salt, for tests that compare with a server-made verifier. Default: 16 random bytes. */
  readonly salt?: Buffer;
}

/** The verifier for `password`. It is not the password, but treat it as secret too. */
export function scramSha256Verifier(password: Sensitive<string>, options: ScramVerifierOptions = {}): string {
  const iterations = options.iterations ?? SCRAM_MIN_ITERATIONS;
  if (!Number.isInteger(iterations) || iterations < SCRAM_MIN_ITERATIONS) {
    throw new RangeError(`SCRAM iterations must be an integer of at least ${SCRAM_MIN_ITERATIONS}`);
  }
  const salt = options.salt ?? randomBytes(SCRAM_SALT_BYTES);
  const keys = scramKeys(password.reveal(), salt, iterations);
  return `SCRAM-SHA-256$${iterations}:${salt.toString('base64')}$${keys.storedKey.toString('base64')}:${keys.serverKey.toString('base64')}`;
}

/** Parts of a stored verifier, for tests and checks. */
export function parseScramVerifier(
  verifier: string,
): { iterations: number; salt: Buffer; storedKey: Buffer; serverKey: Buffer } | undefined {
  const match = /^SCRAM-SHA-256\$(\d+):([A-Za-z0-9+/=]+)\$([A-Za-z0-9+/=]+):([A-Za-z0-9+/=]+)$/.exec(
    verifier,
  );
  if (!match?.[1] || !match[2] || !match[3] || !match[4]) return undefined;
  return {
    iterations: Number(match[1]),
    salt: Buffer.from(match[2], 'base64'),
    storedKey: Buffer.from(match[3], 'base64'),
    serverKey: Buffer.from(match[4], 'base64'),
  };
}

// RFC 3454 table B.1 ("commonly mapped to nothing") and C.1.2 (non-ASCII spaces), as code points.
const MAPPED_TO_NOTHING = new Set([
  0xad,
  0x34f,
  0x1806,
  0x180b,
  0x180c,
  0x180d,
  0x200b,
  0x200c,
  0x200d,
  0x2060,
  0xfeff,
  ...range(0xfe00, 0xfe0f),
]);
const NON_ASCII_SPACE = new Set([0xa0, 0x1680, ...range(0x2000, 0x200a), 0x202f, 0x205f, 0x3000]);

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from + 1 }, (_, index) => from + index);
}

/** Prohibited output (RFC 4013 section 2.3, in part): controls, private use, bidi and tagging characters. */
function prohibited(codePoint: number): boolean {
  return (
    codePoint < 0x20 ||
    (codePoint >= 0x7f && codePoint <= 0x9f) ||
    codePoint === 0x340 ||
    codePoint === 0x341 ||
    codePoint === 0x200e ||
    codePoint === 0x200f ||
    (codePoint >= 0x202a && codePoint <= 0x202e) ||
    (codePoint >= 0x206a && codePoint <= 0x206f) ||
    (codePoint >= 0xe000 && codePoint <= 0xf8ff) ||
    (codePoint >= 0xfff9 && codePoint <= 0xfffd) ||
    codePoint >= 0xf0000 ||
    (codePoint >= 0xd800 && codePoint <= 0xdfff)
  );
}

/**
 * SASLprep (RFC 4013) as PostgreSQL applies it to passwords: printable ASCII is left
 * alone; otherwise map, NFKC-normalise, and if the result holds a prohibited character,
 * use the password unchanged (PostgreSQL's own fallback). Unassigned code points and the
 * bidi rule are not checked (generated passwords are ASCII).
 */
export function saslPrep(password: string): string {
  if (/^[\x20-\x7E]*$/.test(password)) return password;
  let mapped = '';
  for (const char of password) {
    const codePoint = char.codePointAt(0) as number;
    if (MAPPED_TO_NOTHING.has(codePoint)) continue;
    mapped += NON_ASCII_SPACE.has(codePoint) ? ' ' : char;
  }
  const normalized = mapped.normalize('NFKC');
  for (const char of normalized) if (prohibited(char.codePointAt(0) as number)) return password;
  return normalized;
}
