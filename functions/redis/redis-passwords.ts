import { ErrorCode, RotationError } from '../../shared/errors.ts';
import {
  drawPassword,
  PASSWORD_DRAW_ATTEMPTS,
  REUSED,
  type PasswordGenerator,
  type PasswordPolicy,
} from '../../shared/password.ts';
import type { Sensitive } from '../../shared/sensitive.ts';
import {
  AUTH_TOKEN_ALLOWED_SPECIALS,
  ELASTICACHE_FORBIDDEN_CHARACTERS,
  ELASTICACHE_PASSWORD_MAX_LENGTH,
  ELASTICACHE_PASSWORD_MIN_LENGTH,
  elastiCachePasswordViolations,
} from './elasticache-port.ts';
import { RedisMode } from './redis-mode.ts';

const PUNCTUATION = '!"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}~';

/**
 * The password policy for a mode: AWS's knobs as configured, tightened by ElastiCache's
 * rules in the ElastiCache modes (16 to 128 printable characters without space, no `@`,
 * `"` or `/`; AUTH tokens also limit specials to `!&#$^<>-`). A PASSWORD_LENGTH outside
 * 16-128 is refused there rather than silently changed.
 */
export function policyForMode(mode: RedisMode, base: PasswordPolicy): PasswordPolicy {
  if (mode !== RedisMode.elasticacheAuthToken && mode !== RedisMode.elasticacheUser) return base;
  if (
    base.PasswordLength < ELASTICACHE_PASSWORD_MIN_LENGTH ||
    base.PasswordLength > ELASTICACHE_PASSWORD_MAX_LENGTH
  ) {
    throw new RotationError(
      ErrorCode.ERR_POLICY_VIOLATION,
      `PASSWORD_LENGTH is ${base.PasswordLength}; ElastiCache requires ` +
        `${ELASTICACHE_PASSWORD_MIN_LENGTH} to ${ELASTICACHE_PASSWORD_MAX_LENGTH} characters`,
      { details: { variable: 'PASSWORD_LENGTH', mode } },
    );
  }
  const extra =
    mode === RedisMode.elasticacheAuthToken
      ? [...PUNCTUATION].filter((ch) => !AUTH_TOKEN_ALLOWED_SPECIALS.includes(ch)).join('')
      : ELASTICACHE_FORBIDDEN_CHARACTERS;
  const excluded = [...new Set([...base.ExcludeCharacters, ...extra])].join('');
  return Object.freeze({ ...base, ExcludeCharacters: excluded, IncludeSpace: false });
}

/**
 * A new password under the mode's policy that is none of `avoid` (the passwords still
 * valid on the server: current and previous), checked against ElastiCache's rules where
 * they apply. Regenerates a few times, then fails with ERR_POLICY_VIOLATION.
 */
export async function generateRedisPassword(
  generator: PasswordGenerator,
  mode: RedisMode,
  base: PasswordPolicy,
  avoid: readonly Sensitive<string>[],
): Promise<Sensitive<string>> {
  const policy = policyForMode(mode, base);
  const kind =
    mode === RedisMode.elasticacheAuthToken
      ? 'auth-token'
      : mode === RedisMode.elasticacheUser
        ? 'user'
        : undefined;
  const drawn = await drawPassword(generator, policy, avoid, (candidate) =>
    kind === undefined ? [] : elastiCachePasswordViolations(candidate, kind),
  );
  if ('password' in drawn) return drawn.password;
  const problems = drawn.problems.map((problem) =>
    problem === REUSED ? 'reuse of a password still valid on the server' : problem,
  );
  throw new RotationError(
    ErrorCode.ERR_POLICY_VIOLATION,
    `Could not generate an acceptable ${mode} password in ${PASSWORD_DRAW_ATTEMPTS} attempts (${problems.join('; ')})`,
    { details: { mode, attempts: PASSWORD_DRAW_ATTEMPTS } },
  );
}
