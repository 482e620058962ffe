import { ErrorCode, RotationError } from '../../shared/errors.ts';
import {
  passwordPolicyViolations,
  type PasswordGenerator,
  type PasswordPolicy,
} from '../../shared/password.ts';
import type { Sensitive } from '../../shared/sensitive.ts';

/** How many recent passwords of a user may not come back (PCI DSS 8.3.7). */
export const PASSWORD_REUSE_DEPTH = 4;
const MAX_ATTEMPTS = 5;

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
  let lastProblems: string[] = [];
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt += 1) {
    const candidate = await generator.generate(policy);
    lastProblems = passwordPolicyViolations(candidate.reveal(), policy);
    if (avoid.some((old) => old.equals(candidate))) lastProblems.push('reused');
    if (lastProblems.length === 0) return candidate;
  }
  throw new RotationError(
    ErrorCode.ERR_POLICY_VIOLATION,
    `Could not generate a password that meets the policy after ${MAX_ATTEMPTS} attempts (${[...new Set(lastProblems)].join(', ')})`,
    {
      details: { problems: [...new Set(lastProblems)].join(',') },
    },
  );
}
