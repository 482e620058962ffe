/**
 * When Secrets Manager rotates a secret: every N days (`rate(N days)`), or a cron
 * expression with a window (e.g. Sundays 03:00 UTC, three hours).
 */
export interface RotationRulesSpec {
  /** A Secrets Manager ScheduleExpression: rate(N days) or cron(...). */
  readonly expression: string;
  /** The window length, e.g. `3h`. Default: the service default (the whole day for rate(), 24h after the cron time). */
  readonly duration?: string;
}

export const RotationRules = {
  /** Every `days` days (1 to 999). Default schedule: every 90 days. */
  everyDays(days: number): RotationRulesSpec {
    if (!Number.isInteger(days) || days < 1 || days > 999)
      throw new Error(
        `RotationRules.everyDays: days must be an integer from 1 to 999; received ${JSON.stringify(days)}`,
      );
    return { expression: `rate(${days} days)` };
  },
  /**
   * A cron expression in Secrets Manager's six-field form without the `cron()` wrapper,
   * e.g. `0 3 ? * SUN *`, and an optional window in hours (1 to 24).
   */
  cron(expression: string, windowHours?: number): RotationRulesSpec {
    const fields = expression.trim().split(/\s+/);
    if (fields.length !== 6)
      throw new Error(
        `RotationRules.cron: expression must have 6 fields (minutes hours day-of-month month day-of-week year); received ${JSON.stringify(expression)}`,
      );
    if (
      windowHours !== undefined &&
      (!Number.isInteger(windowHours) || windowHours < 1 || windowHours > 24)
    ) {
      throw new Error(
        `RotationRules.cron: windowHours must be an integer from 1 to 24; received ${JSON.stringify(windowHours)}`,
      );
    }
    return {
      expression: `cron(${fields.join(' ')})`,
      ...(windowHours === undefined ? {} : { duration: `${windowHours}h` }),
    };
  },
} as const;

export const DEFAULT_ROTATION_RULES: RotationRulesSpec = Object.freeze({ expression: 'rate(90 days)' });
