import { randomInt } from 'node:crypto';
import type { RandomPasswordInput } from './secrets-port.ts';

export const LOWERCASE = 'abcdefghijklmnopqrstuvwxyz';
export const UPPERCASE = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';
export const DIGITS = '0123456789';
/** GetRandomPassword's punctuation (the ExcludePunctuation list of the API reference): 32 characters, no space. */
export const PUNCTUATION = '!"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}~';

/**
 * Most whole-password draws before giving up. Far above need: the least likely rules that can
 * be met (4 characters, 4 required types, three of them cut down to one character by
 * ExcludeCharacters) succeed once in about 2,200 draws, so the chance of reaching the limit is
 * below e^-450.
 */
export const RANDOM_PASSWORD_MAX_DRAWS = 1_000_000;

/** A uniform random integer in [0, bound). Default: node:crypto randomInt (CSPRNG, no modulo bias). */
export type RandomIndex = (bound: number) => number;

/** Rules that no password can meet; the message names the inputs, never a value. */
export class ImpossiblePasswordRules extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ImpossiblePasswordRules';
  }
}

/** The characters a policy allows: each included type (after ExcludeCharacters) and the whole pool. */
export function passwordAlphabet(policy: RandomPasswordInput): {
  readonly types: readonly string[];
  readonly pool: string;
} {
  const excluded = new Set(policy.ExcludeCharacters);
  const keep = (chars: string): string => [...chars].filter((char) => !excluded.has(char)).join('');
  // A type all of whose characters are excluded by ExcludeCharacters counts as excluded, not as unmeetable.
  const types = [
    policy.ExcludeLowercase ? '' : keep(LOWERCASE),
    policy.ExcludeUppercase ? '' : keep(UPPERCASE),
    policy.ExcludeNumbers ? '' : keep(DIGITS),
    policy.ExcludePunctuation ? '' : keep(PUNCTUATION),
  ].filter((chars) => chars.length > 0);
  const space = policy.IncludeSpace && !excluded.has(' ') ? ' ' : '';
  return { types, pool: types.join('') + space };
}

/**
 * A random password under GetRandomPassword's rules (PasswordLength, ExcludeCharacters,
 * Exclude{Numbers,Punctuation,Uppercase,Lowercase}, IncludeSpace, RequireEachIncludedType),
 * drawn from a CSPRNG by rejection sampling: every character is drawn uniformly from the
 * allowed pool, and a password that misses a required type is thrown away whole. So each
 * password that meets the rules is exactly as likely as any other (no fixed positions for
 * the required characters, no bias toward small types). A space may appear but is never
 * required. Throws ImpossiblePasswordRules when no password can meet the rules.
 */
export function randomPassword(policy: RandomPasswordInput, randomIndex: RandomIndex = randomInt): string {
  const { types, pool } = passwordAlphabet(policy);
  const length = policy.PasswordLength;
  if (!Number.isInteger(length) || length < 1)
    throw new ImpossiblePasswordRules(`PasswordLength must be a positive integer, got ${String(length)}`);
  if (pool.length === 0)
    throw new ImpossiblePasswordRules('The password cannot be generated: every character is excluded.');
  const required = policy.RequireEachIncludedType ? types : [];
  if (required.length > length) {
    throw new ImpossiblePasswordRules(
      `PasswordLength ${length} is too short to include each of the ${required.length} ` +
        `included character types; raise it or set RequireEachIncludedType to false.`,
    );
  }
  for (let draw = 0; draw < RANDOM_PASSWORD_MAX_DRAWS; draw += 1) {
    const chars: string[] = [];
    for (let index = 0; index < length; index += 1) chars.push(pool[randomIndex(pool.length)] as string);
    if (required.every((type) => chars.some((char) => type.includes(char)))) return chars.join('');
  }
  throw new ImpossiblePasswordRules(
    `No password met the rules in ${RANDOM_PASSWORD_MAX_DRAWS} draws; check the random source`,
  );
}
