import type { CliDeps, Command } from './command-context.ts';
import { followCommand } from './commands/follow.ts';
import { repairCommand } from './commands/repair.ts';
import { rotateCommand } from './commands/rotate.ts';
import { statusCommand } from './commands/status.ts';
import { ExitCode, UsageError } from './exit-code.ts';
import { writeLine } from './output.ts';

export const COMMANDS: readonly Command[] = [rotateCommand, followCommand, statusCommand, repairCommand];

export const MAIN_HELP = `Usage: rotation <command> [options]

Operate Secrets Manager rotations by hand: rotate now and watch, see what is overdue or
stuck, and clear a stuck rotation. Secret values are never printed.

Commands:
${COMMANDS.map((command) => `  ${command.name.padEnd(8)} ${command.summary}`).join('\n')}
  help     show help for a command: rotation help rotate

Uses the standard AWS credential and region chain (--profile, --region); --endpoint-url (or
AWS_ENDPOINT_URL_SECRETS_MANAGER / AWS_ENDPOINT_URL) talks to another endpoint, e.g. the
local emulator started by \`npm run emulator\`. Every command takes --help, --output
table|json|text and --query <jmespath> (as the AWS CLI does; --json is --output json).

Exit codes:
  0    success (status: nothing overdue or stuck)
  1    a rotation failed or timed out; status found an overdue or stuck secret
  2    usage error, or a confirmation is needed and there is no terminal (pass --yes)
  3    an AWS API call failed (credentials, permissions, unknown secret, a rotation already pending)
  4    declined at a confirmation prompt; nothing was changed
  130  interrupted (Ctrl-C); rotations already started go on in Secrets Manager`;

/** Run one CLI invocation. Never throws: every outcome is an exit code. */
export async function runCli(argv: readonly string[], deps: CliDeps): Promise<ExitCode> {
  const [first, ...rest] = argv;
  if (first === undefined || first === '--help' || first === '-h') {
    writeLine(first === undefined ? deps.out.stderr : deps.out.stdout, MAIN_HELP);
    return first === undefined ? ExitCode.usage : ExitCode.ok;
  }
  if (first === 'help') {
    const target = COMMANDS.find((command) => command.name === rest[0]);
    writeLine(deps.out.stdout, target?.help ?? MAIN_HELP);
    return rest[0] === undefined || target ? ExitCode.ok : ExitCode.usage;
  }
  const command = COMMANDS.find((candidate) => candidate.name === first);
  if (command === undefined) {
    writeLine(
      deps.out.stderr,
      `error: unknown command "${first}"; commands: ${COMMANDS.map((candidate) => candidate.name).join(', ')} (see rotation --help)`,
    );
    return ExitCode.usage;
  }
  try {
    return await command.run(rest, deps);
  } catch (error) {
    if (error instanceof UsageError) {
      writeLine(deps.out.stderr, `error: ${error.message}\n(see: rotation ${command.name} --help)`);
      return ExitCode.usage;
    }
    if (deps.signal?.aborted) {
      writeLine(
        deps.out.stderr,
        '\ninterrupted: rotations already started go on in Secrets Manager; check them with: rotation status',
      );
      return ExitCode.interrupted;
    }
    const name = error instanceof Error ? error.name : typeof error;
    const message = error instanceof Error ? error.message : String(error);
    writeLine(deps.out.stderr, `error: ${name}: ${message}`);
    return ExitCode.awsError;
  }
}
