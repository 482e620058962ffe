import { ImpossiblePasswordRules, randomPassword } from '../../shared/random-password.ts';
import { Input } from './input.ts';
import { invalidParameter } from './service-error.ts';

/** RP2: the characters of each type; the functions' local generator uses the same ones. */
export { DIGITS, LOWERCASE, PUNCTUATION, UPPERCASE } from '../../shared/random-password.ts';

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

/**
 * A crypto-random password (shared/random-password.ts, the generator the functions use
 * themselves): with RequireEachIncludedType, one character of every included type (lower,
 * upper, digit, punctuation; a type is included when it is not excluded and keeps at least
 * one character after ExcludeCharacters) appears somewhere, every valid password equally
 * likely (RP6: unlike moto, the required characters are not appended at the end in a fixed
 * order). A space may appear but is never required (RP4). Impossible rules are
 * InvalidParameterException, never a crash.
 */
export function generatePassword(rules: PasswordRules): string {
  try {
    return randomPassword({
      PasswordLength: rules.length,
      ExcludeCharacters: rules.excludeCharacters,
      ExcludeNumbers: rules.excludeNumbers,
      ExcludePunctuation: rules.excludePunctuation,
      ExcludeUppercase: rules.excludeUppercase,
      ExcludeLowercase: rules.excludeLowercase,
      IncludeSpace: rules.includeSpace,
      RequireEachIncludedType: rules.requireEachIncludedType,
    });
  } catch (error) {
    if (error instanceof ImpossiblePasswordRules) throw invalidParameter(error.message);
    throw error;
  }
}

/** The GetRandomPassword operation. */
export function getRandomPassword(body: Record<string, unknown>): Record<string, unknown> {
  return { RandomPassword: generatePassword(readPasswordRules(new Input(body))) };
}
