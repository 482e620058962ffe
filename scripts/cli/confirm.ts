import { createInterface } from 'node:readline/promises';
import { ExitCode, UsageError } from './exit-code.ts';

/** Asks the operator yes/no. `interactive` is false when nobody can answer (no terminal). */
export interface Confirm {
  readonly interactive: boolean;
  ask(question: string): Promise<boolean>;
}

/** Reads the answer from a terminal; only "y" or "yes" count as yes. */
export function createTtyConfirm(input: NodeJS.ReadStream, output: NodeJS.WriteStream): Confirm {
  return {
    interactive: Boolean(input.isTTY) && Boolean(output.isTTY),
    async ask(question) {
      const rl = createInterface({ input, output });
      try {
        const answer = await rl.question(`${question} [y/N] `);
        return /^(y|yes)$/i.test(answer.trim());
      } finally {
        rl.close();
      }
    },
  };
}

/** Nobody to ask (CI, pipes, tests that do not script answers). */
export const NO_TERMINAL: Confirm = {
  interactive: false,
  ask: () => Promise.reject(new Error('no terminal to ask on')),
};

/** Scripted answers, for tests; records the questions asked. */
export function scriptedConfirm(answers: readonly boolean[]): Confirm & { readonly questions: string[] } {
  const questions: string[] = [];
  let next = 0;
  return {
    interactive: true,
    questions,
    ask(question) {
      questions.push(question);
      return Promise.resolve(answers[next++] ?? false);
    },
  };
}

/**
 * `--yes` skips the question; without a terminal the command refuses (exit 2) rather than
 * guessing; otherwise the operator's answer decides. Returns the exit code to stop with,
 * or undefined to go on.
 */
export async function confirmOrStop(
  confirm: Confirm,
  yes: boolean,
  question: string,
): Promise<ExitCode | undefined> {
  if (yes) return undefined;
  if (!confirm.interactive)
    throw new UsageError(
      'confirmation needed but there is no terminal to ask on; re-run with --yes to proceed',
    );
  return (await confirm.ask(question)) ? undefined : ExitCode.declined;
}
