/**
 * Pure rules for `status`: is a secret overdue for rotation, is a rotation stuck. No AWS
 * calls here, so the rules are unit-tested with fixed dates.
 */

export const DEFAULT_PERIOD_DAYS = 90;
const DAY_MS = 86_400_000;

/** The fields status needs, from ListSecrets or DescribeSecret. */
export interface SecretFacts {
  readonly name: string;
  readonly arn: string;
  readonly rotationLambdaArn?: string;
  readonly automaticallyAfterDays?: number;
  readonly scheduleExpression?: string;
  readonly lastRotatedDate?: Date;
  readonly nextRotationDate?: Date;
  readonly createdDate?: Date;
  /** Set on replicated secrets: the Region of the primary. */
  readonly primaryRegion?: string;
  readonly versionIdsToStages: Readonly<Record<string, readonly string[]>>;
}

export interface RotationAssessment {
  readonly name: string;
  readonly arn: string;
  readonly rotationLambdaArn: string | undefined;
  /** "every 30 days", "rate(12 hours)", "none (90-day default)". */
  readonly schedule: string;
  readonly periodDays: number;
  readonly lastRotatedDate: Date | undefined;
  readonly nextRotationDate: Date | undefined;
  readonly overdue: boolean;
  /** Why it is overdue, for people. */
  readonly overdueReason?: string;
  /** AWSPENDING on a version that is not AWSCURRENT: RotateSecret will refuse until it is cleared. */
  readonly stuck: boolean;
  readonly pendingVersionId?: string;
  readonly currentVersionId?: string;
}

/** The rotation period in days: AutomaticallyAfterDays, a rate() expression, or the 90-day default. */
export function rotationPeriodDays(
  facts: Pick<SecretFacts, 'automaticallyAfterDays' | 'scheduleExpression'>,
): { readonly days: number; readonly label: string } {
  if (facts.automaticallyAfterDays !== undefined && facts.automaticallyAfterDays > 0) {
    return { days: facts.automaticallyAfterDays, label: `every ${facts.automaticallyAfterDays} days` };
  }
  if (facts.scheduleExpression) {
    const rate = /^rate\(\s*(\d+)\s+(hour|hours|day|days)\s*\)$/i.exec(facts.scheduleExpression.trim());
    if (rate) {
      const amount = Number(rate[1]);
      const days = /^hour/i.test(rate[2] ?? '') ? amount / 24 : amount;
      return { days, label: facts.scheduleExpression };
    }
    // cron(): the interval is not computed here; NextRotationDate still flags a missed run.
    return {
      days: DEFAULT_PERIOD_DAYS,
      label: `${facts.scheduleExpression} (overdue after ${DEFAULT_PERIOD_DAYS} days)`,
    };
  }
  return { days: DEFAULT_PERIOD_DAYS, label: `none (${DEFAULT_PERIOD_DAYS}-day default)` };
}

export function assessRotation(facts: SecretFacts, nowMs: number): RotationAssessment {
  const period = rotationPeriodDays(facts);
  const reference = facts.lastRotatedDate ?? facts.createdDate;
  let overdueReason: string | undefined;
  if (reference !== undefined && nowMs - reference.getTime() > period.days * DAY_MS) {
    overdueReason = `${facts.lastRotatedDate ? 'last rotated' : 'created, never rotated,'} ${Math.floor((nowMs - reference.getTime()) / DAY_MS)} days ago; period ${formatDays(period.days)}`;
  } else if (facts.nextRotationDate !== undefined && facts.nextRotationDate.getTime() < nowMs) {
    overdueReason = `next rotation date ${facts.nextRotationDate.toISOString()} has passed`;
  }
  let currentVersionId: string | undefined;
  let pendingVersionId: string | undefined;
  for (const [versionId, stages] of Object.entries(facts.versionIdsToStages)) {
    if (stages.includes('AWSCURRENT')) currentVersionId = versionId;
    if (stages.includes('AWSPENDING')) pendingVersionId = versionId;
  }
  const stuck = pendingVersionId !== undefined && pendingVersionId !== currentVersionId;
  return {
    name: facts.name,
    arn: facts.arn,
    rotationLambdaArn: facts.rotationLambdaArn,
    schedule: period.label,
    periodDays: period.days,
    lastRotatedDate: facts.lastRotatedDate,
    nextRotationDate: facts.nextRotationDate,
    overdue: overdueReason !== undefined,
    ...(overdueReason !== undefined ? { overdueReason } : {}),
    stuck,
    ...(stuck ? { pendingVersionId } : {}),
    ...(currentVersionId !== undefined ? { currentVersionId } : {}),
  };
}

function formatDays(days: number): string {
  return days < 1 ? `${Math.round(days * 24)} hours` : `${days} days`;
}
