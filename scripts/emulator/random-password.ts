import { randomInt } from 'node:crypto';
import { Input } from './input.ts';
import { invalidParameter } from './service-error.ts';

export const LOWERCASE = 'abcdefghijklmnopqrstuvwxyz';
export const UPPERCASE = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';
export const DIGITS = '0123456789';
/** RP2: Python's string.punctuation, no space. */
export const PUNCTUATION = '!"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}~';

export interface PasswordRules {
  readonly length: number;
  readonly excludeCharacters: string;
  readonly excludeNumbers: boolean;
  readonly excludePunctuation: boolean;
  readonly excludeUppercase: boolean;
  readonly excludeLowercase: boolean;
  readonly includeSpace: boolean;
  readonly requireEachIncludedType: boolean;
}

/** Read GetRandomPassword's input with AWS's defaults (RP1-RP5). */
export function readPasswordRules(input: Input): PasswordRules {
  return {
    length: input.integer('PasswordLength', { min: 1, max: 4096 }) ?? 32,
    excludeCharacters: input.string('ExcludeCharacters', { max: 4096 }) ?? '',
    excludeNumbers: input.boolean('ExcludeNumbers') ?? false,
    excludePunctuation: input.boolean('ExcludePunctuation') ?? false,
    excludeUppercase: input.boolean('ExcludeUppercase') ?? false,
    excludeLowercase: input.boolean('ExcludeLowercase') ?? false,
    includeSpace: input.boolean('IncludeSpace') ?? false,
    requireEachIncludedType: input.boolean('RequireEachIncludedType') ?? true,
  };
}

function pick(chars: string): string {
  return chars[randomInt(chars.length)] as string;
}

/**
 * A crypto-random password. With RequireEachIncludedType, one character of every
 * included class (lower, upper, digit, punctuation; a class is included when it is not
 * excluded and keeps at least one character after ExcludeCharacters) is placed at a
 * random position: the whole password is shuffled (RP6: unlike moto, not appended at
 * the end in a fixed order). A space may appear but is never required (RP4).
 * Impossible rules are InvalidParameterException, never a crash.
 */
export function generatePassword(rules: PasswordRules): string {
  const excluded = new Set(rules.excludeCharacters);
  const keep = (chars: string): string => [...chars].filter((char) => !excluded.has(char)).join('');
  const classes = [
    rules.excludeLowercase ? '' : keep(LOWERCASE),
    rules.excludeUppercase ? '' : keep(UPPERCASE),
    rules.excludeNumbers ? '' : keep(DIGITS),
    rules.excludePunctuation ? '' : keep(PUNCTUATION),
  ].filter((chars) => chars.length > 0);
  const space = rules.includeSpace && !excluded.has(' ') ? ' ' : '';
  const pool = classes.join('') + space;
  if (pool.length === 0)
    throw invalidParameter('The password cannot be generated: every character is excluded.');
  const required = rules.requireEachIncludedType ? classes.map(pick) : [];
  if (required.length > rules.length) {
    throw invalidParameter(
      `PasswordLength ${rules.length} is too short to include each of the ${required.length} included character types; raise it or set RequireEachIncludedType to false.`,
    );
  }
  const chars = [...required];
  while (chars.length < rules.length) chars.push(pick(pool));
  for (let index = chars.length - 1; index > 0; index -= 1) {
    const other = randomInt(index + 1);
    [chars[index], chars[other]] = [chars[other] as string, chars[index] as string];
  }
  return chars.join('');
}

/** The GetRandomPassword operation. */
export function getRandomPassword(body: Record<string, unknown>): Record<string, unknown> {
  return { RandomPassword: generatePassword(readPasswordRules(new Input(body))) };
}
