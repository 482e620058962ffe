import type { EnvReader } from './config.ts';
import { ErrorCode, RotationError } from './errors.ts';
import {
  DIGITS,
  ImpossiblePasswordRules,
  LOWERCASE,
  PUNCTUATION,
  randomPassword,
  UPPERCASE,
  type RandomIndex,
} from './random-password.ts';
import type { RandomPasswordInput, SecretsPort } from './secrets-port.ts';
import { Sensitive } from './sensitive.ts';

/** A password policy; names follow AWS's GetRandomPassword inputs. */
export type PasswordPolicy = RandomPasswordInput;

/** Defaults of AWS's own database rotation functions (length 32, `:/@"'\` excluded). */
export const DEFAULT_PASSWORD_POLICY: PasswordPolicy = Object.freeze({
  PasswordLength: 32,
  ExcludeCharacters: ':/@"\'\\',
  ExcludeNumbers: false,
  ExcludePunctuation: false,
  ExcludeUppercase: false,
  ExcludeLowercase: false,
  IncludeSpace: false,
  RequireEachIncludedType: true,
});

/**
 * Read AWS's password knobs (PASSWORD_LENGTH, EXCLUDE_CHARACTERS, EXCLUDE_NUMBERS,
 * EXCLUDE_PUNCTUATION, EXCLUDE_UPPERCASE, EXCLUDE_LOWERCASE, REQUIRE_EACH_INCLUDED_TYPE)
 * over a kind's defaults, with the meaning AWS's own rotation functions give them (see
 * EnvReader.awsString, awsInt, awsBool): `EXCLUDE_CHARACTERS=""` excludes nothing,
 * `EXCLUDE_NUMBERS=on` is false. Problems and warnings are recorded on the reader.
 */
export function readPasswordPolicy(
  reader: EnvReader,
  defaults: PasswordPolicy = DEFAULT_PASSWORD_POLICY,
): PasswordPolicy {
  const policy: PasswordPolicy = {
    PasswordLength: reader.awsInt('PASSWORD_LENGTH', defaults.PasswordLength, { min: 1, max: 4096 }),
    ExcludeCharacters: reader.awsString('EXCLUDE_CHARACTERS', defaults.ExcludeCharacters),
    ExcludeNumbers: reader.awsBool('EXCLUDE_NUMBERS', defaults.ExcludeNumbers),
    ExcludePunctuation: reader.awsBool('EXCLUDE_PUNCTUATION', defaults.ExcludePunctuation),
    ExcludeUppercase: reader.awsBool('EXCLUDE_UPPERCASE', defaults.ExcludeUppercase),
    ExcludeLowercase: reader.awsBool('EXCLUDE_LOWERCASE', defaults.ExcludeLowercase),
    IncludeSpace: defaults.IncludeSpace,
    RequireEachIncludedType: reader.awsBool('REQUIRE_EACH_INCLUDED_TYPE', defaults.RequireEachIncludedType),
  };
  if (
    policy.ExcludeNumbers &&
    policy.ExcludePunctuation &&
    policy.ExcludeUppercase &&
    policy.ExcludeLowercase
  ) {
    reader.problem(
      'EXCLUDE_NUMBERS, EXCLUDE_PUNCTUATION, EXCLUDE_UPPERCASE and EXCLUDE_LOWERCASE exclude every character type',
    );
  }
  return Object.freeze(policy);
}

/** The random-value port: the function's own CSPRNG by default, or Secrets Manager's GetRandomPassword. */
export interface PasswordGenerator {
  generate(policy: PasswordPolicy): Promise<Sensitive<string>>;
}

/** Where passwords come from (PASSWORD_GENERATOR). */
export const PasswordSource = {
  /** node:crypto in the function, GetRandomPassword's rules (shared/random-password.ts). The default. */
  local: 'local',
  /** Secrets Manager's GetRandomPassword: one more round trip per password drawn. */
  secretsManager: 'secretsmanager',
} as const;
export type PasswordSource = (typeof PasswordSource)[keyof typeof PasswordSource];

export function secretsManagerPasswordGenerator(secrets: SecretsPort): PasswordGenerator {
  return { generate: (policy) => secrets.getRandomPassword(policy) };
}

/**
 * Passwords drawn in the function itself, by GetRandomPassword's rules, from node:crypto's
 * CSPRNG (OpenSSL's generator, seeded by the kernel) with rejection sampling
 * (shared/random-password.ts). It saves one Secrets Manager round trip per rotation and the
 * password never crosses the network before PutSecretValue stores it. Rules no password can
 * meet fail as ERR_POLICY_VIOLATION, naming the rule.
 */
export function localPasswordGenerator(randomIndex?: RandomIndex): PasswordGenerator {
  return {
    generate: async (policy) => {
      try {
        return new Sensitive(randomPassword(policy, randomIndex));
      } catch (error) {
        if (!(error instanceof ImpossiblePasswordRules)) throw error;
        throw new RotationError(ErrorCode.ERR_POLICY_VIOLATION, error.message, { cause: error });
      }
    },
  };
}

/** The generator PASSWORD_GENERATOR names. */
export function passwordGenerator(source: PasswordSource, secrets: SecretsPort): PasswordGenerator {
  return source === PasswordSource.secretsManager
    ? secretsManagerPasswordGenerator(secrets)
    : localPasswordGenerator();
}

/** Check that a password satisfies a policy (used by tests and by strategies that
 *  validate a generated value before using it). Returns the names of failed rules. */
export function passwordPolicyViolations(password: string, policy: PasswordPolicy): string[] {
  const problems: string[] = [];
  if (password.length !== policy.PasswordLength) problems.push('length');
  for (const ch of policy.ExcludeCharacters)
    if (password.includes(ch)) {
      problems.push('excluded-character');
      break;
    }
  const has = {
    lower: /[a-z]/.test(password),
    upper: /[A-Z]/.test(password),
    digit: /[0-9]/.test(password),
    punct: /[!-/:-@[-`{-~]/.test(password),
  };
  if (policy.ExcludeLowercase && has.lower) problems.push('lowercase-excluded');
  if (policy.ExcludeUppercase && has.upper) problems.push('uppercase-excluded');
  if (policy.ExcludeNumbers && has.digit) problems.push('numbers-excluded');
  if (policy.ExcludePunctuation && has.punct) problems.push('punctuation-excluded');
  if (policy.RequireEachIncludedType && password.length >= 4) {
    // A type whose every character ExcludeCharacters removes is excluded, not missing.
    const left = (chars: string): boolean =>
      [...chars].some((char) => !policy.ExcludeCharacters.includes(char));
    if (!policy.ExcludeLowercase && left(LOWERCASE) && !has.lower) problems.push('lowercase-missing');
    if (!policy.ExcludeUppercase && left(UPPERCASE) && !has.upper) problems.push('uppercase-missing');
    if (!policy.ExcludeNumbers && left(DIGITS) && !has.digit) problems.push('number-missing');
    if (!policy.ExcludePunctuation && left(PUNCTUATION) && !has.punct) problems.push('punctuation-missing');
  }
  return problems;
}

/** How many values a strategy draws before it gives up on an acceptable password. */
export const PASSWORD_DRAW_ATTEMPTS = 5;

/** Why a drawn value was refused: `reused` when it equals a value to avoid. */
export const REUSED = 'reused';

/**
 * Draw passwords until one has no problems (`problemsOf`, e.g. policy or service rules) and
 * equals none of `avoid`, at most PASSWORD_DRAW_ATTEMPTS times. Resolves with the password, or
 * with the problems of the last draw so the caller can fail with its own message.
 */
export async function drawPassword(
  generator: PasswordGenerator,
  policy: PasswordPolicy,
  avoid: readonly Sensitive<string>[],
  problemsOf: (candidate: string) => string[],
): Promise<{ readonly password: Sensitive<string> } | { readonly problems: readonly string[] }> {
  let problems: string[] = [];
  for (let attempt = 0; attempt < PASSWORD_DRAW_ATTEMPTS; attempt += 1) {
    const candidate = await generator.generate(policy);
    problems = problemsOf(candidate.reveal());
    if (avoid.some((old) => old.equals(candidate))) problems.push(REUSED);
    if (problems.length === 0) return { password: candidate };
  }
  return { problems: [...new Set(problems)] };
}
