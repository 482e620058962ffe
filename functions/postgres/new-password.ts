import { ErrorCode, RotationError } from '../../shared/errors.ts';
import {
  drawPassword,
  PASSWORD_DRAW_ATTEMPTS,
  passwordPolicyViolations,
  type PasswordGenerator,
  type PasswordPolicy,
} from '../../shared/password.ts';
import type { Sensitive } from '../../shared/sensitive.ts';

/** How many recent passwords of a user may not come back (PCI DSS 8.3.7). */
export const PASSWORD_REUSE_DEPTH = 4;

/** Where new passwords come from and the policy they must meet (PASSWORD_* settings). */
export interface PasswordSource {
  readonly generator: PasswordGenerator;
  readonly policy: PasswordPolicy;
}

/**
 * A fresh password from the generator (Secrets Manager's GetRandomPassword by default)
 * that satisfies the policy, including one character of each included type, and equals
 * none of `recent`: the login's last PASSWORD_REUSE_DEPTH passwords (password-history.ts)
 * and any other value it must differ from. Retries a few times, then fails with
 * ERR_POLICY_VIOLATION rather than store a weak or reused value.
 */
export async function newPassword(
  generator: PasswordGenerator,
  policy: PasswordPolicy,
  recent: readonly (Sensitive<string> | undefined)[],
): Promise<Sensitive<string>> {
  const avoid = recent.filter((value): value is Sensitive<string> => value !== undefined);
  const drawn = await drawPassword(generator, policy, avoid, (candidate) =>
    passwordPolicyViolations(candidate, policy),
  );
  if ('password' in drawn) return drawn.password;
  throw new RotationError(
    ErrorCode.ERR_POLICY_VIOLATION,
    `Could not generate a password that meets the policy after ${PASSWORD_DRAW_ATTEMPTS} attempts (${drawn.problems.join(', ')})`,
    { details: { problems: drawn.problems.join(',') } },
  );
}
