/** Small, value-free formatting helpers for people-facing output. */

export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '-';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const minutes = Math.floor(ms / 60_000);
  const seconds = Math.round((ms % 60_000) / 1000);
  return `${minutes}m${String(seconds).padStart(2, '0')}s`;
}

/** "3d 4h", "5h 2m", "42s": an age for tables. */
export function formatAge(ms: number): string {
  if (!Number.isFinite(ms)) return '-';
  const sign = ms < 0 ? '-' : '';
  const abs = Math.abs(ms);
  const s = Math.floor(abs / 1000);
  const d = Math.floor(s / 86_400);
  const h = Math.floor((s % 86_400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  if (d > 0) return `${sign}${d}d ${h}h`;
  if (h > 0) return `${sign}${h}h ${m}m`;
  if (m > 0) return `${sign}${m}m ${s % 60}s`;
  return `${sign}${s}s`;
}

/** ISO date to the minute, UTC: "2026-11-23 19:05Z". */
export function formatDate(date: Date | undefined): string {
  if (date === undefined || Number.isNaN(date.getTime())) return '-';
  return `${date.toISOString().slice(0, 16).replace('T', ' ')}Z`;
}

/** The function name out of a Lambda ARN (arn:aws:lambda:region:account:function:name[:alias]). */
export function functionName(arn: string | undefined): string {
  if (!arn) return '-';
  const match = /:function:([^:]+)/.exec(arn);
  return match?.[1] ?? arn;
}
