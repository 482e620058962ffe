import { EmergencyState } from '../../../shared/rotation-progress.ts';
import { formatDuration } from '../format.ts';
import type { Painter } from '../output.ts';
import { formatReplica } from '../replica-status.ts';
import { formatTable } from '../table.ts';
import { RotateOutcome, type RotateResult } from './rotate-result.ts';

/** One line per rotation: outcome, where it failed and why, how long, what to do next. */
export function renderResultLine(result: RotateResult, paint: Painter): string {
  const line = resultLine(result, paint);
  return result.replicas?.length
    ? `${line}\n        replicas: ${result.replicas.map(formatReplica).join(', ')}`
    : line;
}

function resultLine(result: RotateResult, paint: Painter): string {
  const took = formatDuration(result.durationMs);
  const attempts =
    result.attempts !== undefined && result.attempts > 1 ? ` after ${result.attempts} attempts` : '';
  switch (result.outcome) {
    case RotateOutcome.succeeded:
      return `${paint.green('OK')}      ${result.name}: rotation succeeded in ${took}${attempts}${emergencyNote(result)}`;
    case RotateOutcome.refused:
      return `${paint.red('REFUSED')} ${result.name}: rotation not started: ${result.error?.message ?? ''}${result.hint ? `\n        fix: ${result.hint}` : ''}`;
    case RotateOutcome.started:
      return `STARTED ${result.name}: rotation started (version ${result.versionId ?? '?'}); not followed (--no-wait)`;
    case RotateOutcome.failed:
    case RotateOutcome.error: {
      const head = result.outcome === RotateOutcome.failed ? paint.red('FAILED') : paint.red('ERROR ');
      const where = result.failedStep ? ` at ${result.failedStep}` : '';
      const why = result.error ? `: ${errorLabel(result)}` : '';
      const hint = result.hint ? `\n        hint: ${result.hint}` : '';
      const logs = result.logs
        ? `\n        logs: ${result.logs.logGroup}, tail them with:\n          ${result.logs.tailCommand}`
        : '';
      return `${head}  ${result.name}: rotation ${result.outcome === RotateOutcome.failed ? 'failed' : 'not started'}${where}${attempts} (${took})${why}${hint}${logs}`;
    }
  }
}

/** What the function recorded about the emergency: only a revocation it recorded is called one. */
function emergencyNote(result: RotateResult): string {
  switch (result.emergencyState) {
    case EmergencyState.revoked:
      return ' (emergency: the old credential is revoked)';
    case EmergencyState.deferred:
      return ' (not an emergency rotation: the RotationMode=emergency tag came after it began; it applies to the next rotation)';
    case undefined:
      return result.emergency ? ' (emergency requested; the function recorded no emergency state)' : '';
    default:
      return result.emergency ? ` (emergency: ${result.emergencyState})` : '';
  }
}

/** The summary table for many rotations. */
export function renderSummary(results: readonly RotateResult[], paint: Painter): string {
  const rows = results.map((result) => [
    result.name,
    outcomeCell(result, paint),
    result.failedStep ?? '',
    result.attempts !== undefined ? String(result.attempts) : '',
    formatDuration(result.durationMs),
    result.error ? truncate(errorLabel(result), 100) : '',
  ]);
  return formatTable(['SECRET', 'OUTCOME', 'FAILED STEP', 'ATTEMPTS', 'TIME', 'ERROR'], rows);
}

function outcomeCell(result: RotateResult, paint: Painter): string {
  switch (result.outcome) {
    case RotateOutcome.succeeded:
      return paint.green('succeeded');
    case RotateOutcome.started:
      return 'started';
    case RotateOutcome.failed:
      return paint.red(result.timedOut ? 'timed out' : 'failed');
    case RotateOutcome.refused:
      return paint.red('refused');
    case RotateOutcome.error:
      return paint.red('aws error');
  }
}

function errorLabel(result: RotateResult): string {
  const error = result.error;
  if (!error) return '';
  return `${error.code ?? error.name}: ${error.message}`;
}

function truncate(text: string, max: number): string {
  const oneLine = text.replace(/\s+/g, ' ');
  return oneLine.length <= max ? oneLine : `${oneLine.slice(0, max - 1)}…`;
}
