/**
 * The CLI's exit codes. Stable: scripts and runbooks branch on them.
 *
 * | code | meaning |
 * | ---: | --- |
 * | 0 | everything asked for succeeded (status: nothing overdue or stuck) |
 * | 1 | a rotation failed or timed out, or was not started because AWSCURRENT does not log in; or `status` found an overdue or stuck secret |
 * | 2 | usage error: unknown command or option, missing argument, or a confirmation that cannot be asked (no terminal and no `--yes`) |
 * | 3 | an AWS API call failed (credentials, permissions, unknown secret, "A previous rotation isn't complete", network) |
 * | 4 | the operator answered "no" at a confirmation prompt: nothing was changed |
 * | 130 | interrupted (Ctrl-C) |
 */
export const ExitCode = {
  ok: 0,
  failed: 1,
  usage: 2,
  awsError: 3,
  declined: 4,
  interrupted: 130,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/** A usage problem: printed with the command's usage line, exit code 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** When several secrets were handled: a failed rotation outranks an API error. */
export function worstExitCode(codes: readonly ExitCode[]): ExitCode {
  const order: readonly ExitCode[] = [
    ExitCode.interrupted,
    ExitCode.usage,
    ExitCode.failed,
    ExitCode.awsError,
    ExitCode.declined,
    ExitCode.ok,
  ];
  for (const code of order) if (codes.includes(code)) return code;
  return ExitCode.ok;
}
