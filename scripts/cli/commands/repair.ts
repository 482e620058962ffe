import { CurrentCredential } from '../../../shared/rotation-progress.ts';
import { describeAwsError } from '../aws-client.ts';
import { createContext, type CliDeps, type Command, type CommandContext } from '../command-context.ts';
import { PROBE_KINDS } from '../credential-probe.ts';
import { ExitCode, UsageError } from '../exit-code.ts';
import { COMMON_HELP, parseCommand } from '../options.ts';
import { reportAwsError, writeLine } from '../output.ts';
import {
  clearStalePending,
  finishEmergency,
  finishOrRollBack,
  type RepairOptions,
} from './repair-actions.ts';
import { decideRepair } from './repair-decide.ts';
import { inspectForRepair, type RepairInspection } from './repair-inspect.ts';
import { renderInspection, repairReporter } from './repair-report.ts';

const HELP = `Usage: rotation repair <secret-id> [--finish | --rollback] [options]

Finds out why a secret cannot rotate and fixes it without losing a working credential.
First it looks: labels and ages, the function's recorded progress (RotationProgress:* tags),
the emergency state, and, with the kind's own probe, which stored credential actually logs
in to the target (AWSCURRENT, AWSPENDING, and, when AWSCURRENT is refused and nothing is
pending, the newest unlabelled versions). Then, after confirmation or with --yes:

- AWSCURRENT logs in, a stale AWSPENDING blocks rotation: removes AWSPENDING.
- Only the pending (or an unlabelled) credential logs in (a single-user rotation failed
  after setSecret): nothing is removed; choose
    --finish    test that credential with the function's testSecret, then make it
                AWSCURRENT (the outcome of a successful rotation), or
    --rollback  log in with it, set the target back to AWSCURRENT's credential (the
                function's setSecret), check AWSCURRENT logs in, then clear AWSPENDING.
- An emergency rotation moved AWSCURRENT but did not finish revoking (the RotationEmergency
  label is still on AWSCURRENT): --finish starts a new emergency rotation, which revokes
  the leaked credential; until then the leaked credential may still work.
- No stored credential logs in, or the target cannot be reached: changes nothing.

Options:
  --finish            promote the working credential, or finish an unfinished emergency
  --rollback          put the target back to AWSCURRENT's credential
  --kind <kind>       ${PROBE_KINDS.join(', ')} (default: the kind the function recorded)
  -y, --yes           do not ask for confirmation (needed without a terminal)

The probe reads the function's settings from the environment under the function's own names
(PG_SSL_MODE, PG_SSL_CA_PATH, PG_TEST_QUERY, REDIS_* ...), with the function's defaults.

${COMMON_HELP}

Exit codes: 0 repaired, or nothing to repair; 1 not repaired (a choice is needed, no
credential logs in, the target is unreachable, or the repair did not take); 2 usage error
(also: confirmation needed but no terminal and no --yes); 3 an AWS call failed; 4 declined.`;

export const repairCommand: Command = {
  name: 'repair',
  summary: 'check which credential logs in, then clear, finish or roll back a stuck rotation',
  help: HELP,
  async run(argv: readonly string[], deps: CliDeps): Promise<ExitCode> {
    const { values, positionals, common } = parseCommand(argv, {
      yes: { type: 'boolean', short: 'y', default: false },
      finish: { type: 'boolean', default: false },
      rollback: { type: 'boolean', default: false },
      kind: { type: 'string' },
    });
    if (common.help) {
      writeLine(deps.out.stdout, HELP);
      return ExitCode.ok;
    }
    if (positionals.length !== 1) throw new UsageError('repair takes exactly one secret id (name or ARN)');
    if (values.finish && values.rollback) throw new UsageError('choose one of --finish and --rollback');
    if (values.kind !== undefined && !(PROBE_KINDS as readonly string[]).includes(values.kind))
      throw new UsageError(`--kind must be one of ${PROBE_KINDS.join(', ')}, got "${values.kind}"`);
    const secretId = positionals[0] as string;
    const ctx = createContext(common, deps);
    try {
      const inspection = await inspectForRepair(ctx, secretId, { kind: values.kind, env: deps.env });
      return await repair(ctx, inspection, {
        yes: values.yes,
        mode: values.finish ? 'finish' : values.rollback ? 'rollback' : undefined,
      });
    } catch (error) {
      if (error instanceof UsageError || ctx.signal?.aborted) throw error;
      const { name, message } = describeAwsError(error);
      reportAwsError(ctx, 'repair', { name, message }, `error: ${name}: ${message}`);
      return ExitCode.awsError;
    }
  },
};

/** Look (already done), decide, then do the one thing that case allows. */
async function repair(
  ctx: CommandContext,
  found: RepairInspection,
  options: RepairOptions,
): Promise<ExitCode> {
  const { paint } = ctx;
  const report = repairReporter(ctx, found);
  renderInspection(ctx, found);
  const decided = decideRepair(found);
  switch (decided.kind) {
    case 'unfinished-emergency':
      return finishEmergency(ctx, found, report, options);
    case 'cannot-probe':
      return report.finish(
        ExitCode.failed,
        'cannot-probe',
        `${paint.red('Not repaired')}: could not find out whether the stored credentials log in (${decided.errorCode}); nothing was changed. Check the target is reachable from here and the function's settings (PG_SSL_MODE, ...) are in the environment.`,
      );
    case 'unsafe-unchecked':
      return report.finish(
        ExitCode.failed,
        'unsafe-unchecked',
        `${paint.red('Not repaired')}: the function recorded that AWSCURRENT ${decided.recorded === CurrentCredential.changing ? 'may no longer log in' : 'no longer logs in'} (RotationProgress:Current=${decided.recorded}), and this kind (${found.kind ?? 'unknown'}) has no credential probe here to check; nothing was changed. Let the service retry the rotation, or pass --kind to probe.`,
      );
    case 'current-works':
      return clearStalePending(ctx, found, report, options, decided.checked);
    case 'no-working-credential':
      return report.finish(
        ExitCode.failed,
        'no-working-credential',
        `${paint.red('Not repaired')}: the target refuses AWSCURRENT${found.candidate ? ` and ${found.candidate.source === 'pending' ? 'AWSPENDING' : `version ${found.candidate.versionId}`}` : ''}, and no recent unlabelled version logs in; nothing was changed. Reset the password on the target (for RDS: PG_BREAK_GLASS or the console), then put it in the secret.`,
      );
    case 'only-candidate-works':
      return finishOrRollBack(ctx, found, report, options, decided.candidate);
  }
}
