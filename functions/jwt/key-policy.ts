import { detectKeyEncoding, estimateKeyBytes, KeyEncoding, shannonEntropy } from './key-encoding.ts';

/** The policy's entropy floor for encoded key text, in bits per character. */
export const MIN_ENTROPY_BITS_PER_CHAR = 4.0;
/**
 * Hex text can carry at most 4 bits per character, so a random hex key measures just
 * under 4.0 (about 3.9 for 128 characters). Hex keys are held to 3.5 instead.
 */
export const MIN_HEX_ENTROPY_BITS_PER_CHAR = 3.5;

export function entropyFloor(encoding: KeyEncoding): number {
  return encoding === KeyEncoding.hex || encoding === KeyEncoding.hexUpper
    ? MIN_HEX_ENTROPY_BITS_PER_CHAR
    : MIN_ENTROPY_BITS_PER_CHAR;
}

/** Non-secret facts about a key string: safe to log. */
export interface KeyAssessment {
  readonly encoding: KeyEncoding;
  readonly estimatedBytes: number;
  readonly entropyBitsPerChar: number;
  /** Empty when the key meets the policy; otherwise short descriptions without the value. */
  readonly problems: readonly string[];
}

/** Check a symmetric key string against the strength policy. */
export function assessSymmetricKey(
  text: string,
  requiredBytes: number,
  encoding: KeyEncoding = detectKeyEncoding(text),
): KeyAssessment {
  const estimatedBytes = estimateKeyBytes(text, encoding);
  const entropy = shannonEntropy(text);
  const problems: string[] = [];
  if (estimatedBytes < requiredBytes)
    problems.push(`holds at most ${estimatedBytes} random bytes, policy requires ${requiredBytes}`);
  const floor = entropyFloor(encoding);
  if (entropy < floor)
    problems.push(`measures ${entropy.toFixed(2)} bits per character, policy requires ${floor.toFixed(1)}`);
  return { encoding, estimatedBytes, entropyBitsPerChar: Math.round(entropy * 100) / 100, problems };
}

/** Check the decoded bytes of a keyring HMAC key (base64url `k`). */
export function assessHmacBytes(k: string, requiredBytes: number): KeyAssessment {
  const bytes = Buffer.from(k, 'base64url').length;
  const entropy = shannonEntropy(k);
  const problems: string[] = [];
  if (bytes < requiredBytes) problems.push(`is ${bytes} bytes, policy requires ${requiredBytes}`);
  if (entropy < MIN_ENTROPY_BITS_PER_CHAR)
    problems.push(
      `measures ${entropy.toFixed(2)} bits per character, policy requires ${MIN_ENTROPY_BITS_PER_CHAR.toFixed(1)}`,
    );
  return {
    encoding: KeyEncoding.base64url,
    estimatedBytes: bytes,
    entropyBitsPerChar: Math.round(entropy * 100) / 100,
    problems,
  };
}
