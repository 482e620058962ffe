import { randomBytes, randomInt } from 'node:crypto';

/**
 * Text encodings of a symmetric key string, detected from the stored value and kept on
 * rotation so consumers that decode (or do not decode) the key keep working.
 */
export const KeyEncoding = {
  /** `[0-9a-f]`, even length (case kept: `hexUpper` for `[0-9A-F]`). */
  hex: 'hex',
  hexUpper: 'hex-upper',
  /** RFC 4648 base64 with `=` padding (e.g. `openssl rand -base64 64`). */
  base64: 'base64',
  /**
   * Base64 broken into lines, as `openssl rand -base64 64` prints it (64 + 24 characters):
   * what `--secret-string "$(openssl rand -base64 64)"` stores. New keys use 64-character lines.
   */
  base64Lines: 'base64-lines',
  /** RFC 4648 base64 without padding but with `+` or `/`. */
  base64Unpadded: 'base64-unpadded',
  /** RFC 4648 base64url (`-`, `_`), no padding. */
  base64url: 'base64url',
  /** Letters and digits only. */
  alphanumeric: 'alphanumeric',
  /** Any other text: regenerated from printable ASCII without quotes, backslash or space. */
  printable: 'printable',
} as const;
export type KeyEncoding = (typeof KeyEncoding)[keyof typeof KeyEncoding];

const ALPHANUMERIC = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const PRINTABLE = [...Array.from({ length: 0x7e - 0x21 + 1 }, (_, i) => String.fromCharCode(0x21 + i))]
  .filter((c) => !`"'\`\\`.includes(c))
  .join('');

/** Detect the encoding of a key string (already trimmed). */
export function detectKeyEncoding(text: string): KeyEncoding {
  if (/^[0-9a-f]+$/.test(text) && text.length % 2 === 0) return KeyEncoding.hex;
  if (/^[0-9A-F]+$/.test(text) && text.length % 2 === 0) return KeyEncoding.hexUpper;
  if (/^[A-Za-z0-9+/]+={1,2}$/.test(text) && text.length % 4 === 0) return KeyEncoding.base64;
  if (/^[A-Za-z0-9+/]+$/.test(text) && /[+/]/.test(text)) return KeyEncoding.base64Unpadded;
  if (/\n/.test(text) && isWrappedBase64(text)) return KeyEncoding.base64Lines;
  if (/^[A-Za-z0-9_-]+$/.test(text) && /[_-]/.test(text)) return KeyEncoding.base64url;
  if (/^[A-Za-z0-9]+$/.test(text)) return KeyEncoding.alphanumeric;
  return KeyEncoding.printable;
}

/** Bits of randomness one character can carry in an encoding. */
export function bitsPerChar(encoding: KeyEncoding): number {
  switch (encoding) {
    case KeyEncoding.hex:
    case KeyEncoding.hexUpper:
      return 4;
    case KeyEncoding.base64:
    case KeyEncoding.base64Lines:
    case KeyEncoding.base64Unpadded:
    case KeyEncoding.base64url:
      return 6;
    case KeyEncoding.alphanumeric:
      return Math.log2(ALPHANUMERIC.length);
    case KeyEncoding.printable:
      return Math.log2(PRINTABLE.length);
  }
}

/**
 * The most randomness, in bytes, a key string can hold: its payload length for hex and
 * base64 forms, its length times the alphabet's bits per character for text. An upper
 * bound: a human-chosen text scores high here and low on entropy.
 */
export function estimateKeyBytes(text: string, encoding: KeyEncoding = detectKeyEncoding(text)): number {
  const payload =
    encoding === KeyEncoding.base64
      ? text.replace(/=+$/, '')
      : encoding === KeyEncoding.base64Lines
        ? text.replace(/\s+/g, '').replace(/=+$/, '')
        : text;
  return Math.floor((payload.length * bitsPerChar(encoding)) / 8 + 1e-9);
}

/**
 * Make a fresh key string of at least `bytes` random bytes in the given encoding. Draws
 * again in the rare case the result would be detected as another encoding (base64url
 * without `-` or `_`, say), so the shape stays stable rotation after rotation.
 */
export function generateKey(encoding: KeyEncoding, bytes: number): string {
  // Padded base64 needs a byte count that is not a multiple of 3, or it has no `=`.
  const count = encoding === KeyEncoding.base64 && bytes % 3 === 0 ? bytes + 1 : bytes;
  for (;;) {
    const key = drawKey(encoding, count);
    // A plain secret starting with `{` or `[` would read back as (broken) JSON.
    if (detectKeyEncoding(key) === encoding && !/^[[{]/.test(key)) return key;
  }
}

function drawKey(encoding: KeyEncoding, bytes: number): string {
  switch (encoding) {
    case KeyEncoding.hex:
      return randomBytes(bytes).toString('hex');
    case KeyEncoding.hexUpper:
      return randomBytes(bytes).toString('hex').toUpperCase();
    case KeyEncoding.base64:
      return randomBytes(bytes).toString('base64');
    case KeyEncoding.base64Lines:
      return (
        randomBytes(bytes)
          .toString('base64')
          .match(/.{1,64}/g) ?? []
      ).join('\n');
    case KeyEncoding.base64Unpadded:
      return randomBytes(bytes).toString('base64').replace(/=+$/, '');
    case KeyEncoding.base64url:
      return randomBytes(bytes).toString('base64url');
    case KeyEncoding.alphanumeric:
      return randomText(ALPHANUMERIC, bytes);
    case KeyEncoding.printable:
      return randomText(PRINTABLE, bytes);
  }
}

/** Lines of base64 (LF or CRLF), all but the last of one width, that join into valid base64. */
function isWrappedBase64(text: string): boolean {
  const lines = text.split(/\r?\n/);
  const width = lines[0]?.length ?? 0;
  if (lines.length < 2 || width === 0 || lines.slice(0, -1).some((line) => line.length !== width))
    return false;
  const joined = lines.join('');
  return (
    (lines.at(-1)?.length ?? 0) <= width && /^[A-Za-z0-9+/]+={0,2}$/.test(joined) && joined.length % 4 === 0
  );
}

/** Uniform characters from an alphabet, enough of them to carry `bytes` of randomness. */
function randomText(alphabet: string, bytes: number): string {
  const length = Math.ceil((bytes * 8) / Math.log2(alphabet.length));
  let out = '';
  for (let i = 0; i < length; i += 1) out += alphabet[randomInt(alphabet.length)];
  return out;
}

/** Shannon entropy of the text's character distribution, in bits per character. */
export function shannonEntropy(text: string): number {
  if (text.length === 0) return 0;
  const counts = new Map<string, number>();
  for (const ch of text) counts.set(ch, (counts.get(ch) ?? 0) + 1);
  let entropy = 0;
  const total = [...text].length;
  for (const count of counts.values()) {
    const p = count / total;
    entropy -= p * Math.log2(p);
  }
  return entropy;
}
