import type { CommandContext } from '../command-context.ts';
import type { ExitCode } from '../exit-code.ts';
import { formatAge, formatDate } from '../format.ts';
import { writeJson, writeLine } from '../output.ts';
import { formatTable } from '../table.ts';
import type { RepairInspection } from './repair-inspect.ts';

/** How `repair` talks: lines for people as it goes, and one closing line (or one JSON document). */
export interface RepairReporter {
  /** A line for people; nothing under --json. */
  say(line: string): void;
  /** The closing line (or the JSON document with `action`), returning `code`. */
  finish(code: ExitCode, action: string, line: string, extra?: Record<string, unknown>): ExitCode;
}

export function repairReporter(ctx: CommandContext, found: RepairInspection): RepairReporter {
  const document = (action: string, extra: Record<string, unknown>) => ({
    command: 'repair',
    secret: { name: found.name, arn: found.arn },
    versions: found.versions,
    currentVersionId: found.currentVersionId,
    pendingVersionId: found.pendingVersionId,
    pendingAgeMs: found.pendingAgeMs,
    stale: found.stale,
    emergency: found.emergency.state,
    kind: found.kind,
    current: found.current?.verdict,
    candidate: found.candidate
      ? {
          versionId: found.candidate.versionId,
          source: found.candidate.source,
          verdict: found.candidate.probe.verdict,
        }
      : undefined,
    action,
    ...extra,
  });
  return {
    say(line) {
      if (!ctx.json) writeLine(ctx.out.stdout, line);
    },
    finish(code, action, line, extra = {}) {
      if (ctx.json) writeJson(ctx.out, document(action, extra));
      else writeLine(ctx.out.stdout, line);
      return code;
    },
  };
}

/** The versions with their labels, ages and what the probe found, and the last recorded step. */
export function renderInspection(ctx: CommandContext, found: RepairInspection): void {
  if (ctx.json) return;
  const { out, paint } = ctx;
  const now = ctx.now();
  writeLine(out.stdout, `Secret ${paint.bold(found.name)}\n  ${found.arn}\n`);
  const shown = found.versions.filter(
    (version) => version.stages.length > 0 || version.versionId === found.candidate?.versionId,
  );
  writeLine(
    out.stdout,
    formatTable(
      ['VERSION', 'LABELS', 'CREATED', 'AGE', 'LOGS IN'],
      shown.map((version) => [
        version.versionId,
        version.stages.join(', ') || '(none)',
        formatDate(version.createdDate),
        version.createdDate ? formatAge(now - version.createdDate.getTime()) : '-',
        version.versionId === found.currentVersionId
          ? (found.current?.verdict ?? '-')
          : version.versionId === found.candidate?.versionId
            ? found.candidate.probe.verdict
            : '-',
      ]),
    ),
  );
  const progress = found.progress;
  if (progress)
    writeLine(
      out.stdout,
      `\nLast recorded step: ${progress.step} ${progress.outcome}${progress.errorCode ? ` (${progress.errorCode})` : ''}, attempt ${progress.attempt}, version ${progress.token}${progress.at ? `, ${formatAge(now - progress.at.getTime())} ago` : ''}`,
    );
  writeLine(out.stdout);
}

export function pendingAge(found: RepairInspection): string {
  return found.pendingAgeMs !== undefined ? formatAge(found.pendingAgeMs) : 'an unknown time';
}
