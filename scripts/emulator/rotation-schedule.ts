import type { Input } from './input.ts';
import type { RotationRules } from './secret-record.ts';
import { invalidParameter } from './service-error.ts';

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;
const RATE = /^rate\((\d+) (hour|hours|day|days)\)$/;
const CRON = /^cron\((.+)\)$/;

/** Read and check RotationRules (R4). Model constraints are ValidationException; combinations InvalidParameterException. */
export function readRotationRules(input: Input | undefined): RotationRules | undefined {
  if (!input) return undefined;
  const days = input.integer('AutomaticallyAfterDays', { min: 1, max: 1000 });
  const expression = input.string('ScheduleExpression', {
    min: 1,
    max: 256,
    pattern: /^[0-9A-Za-z()#?*\-/, ]+$/,
  });
  const duration = input.string('Duration', { min: 2, max: 3, pattern: /^[0-9h]+$/ });
  if (days !== undefined && expression !== undefined) {
    throw invalidParameter(
      'You cannot specify both rotation frequency (AutomaticallyAfterDays) and a rotation schedule expression (ScheduleExpression) together.',
    );
  }
  if (expression !== undefined) checkExpression(expression);
  if (duration !== undefined) {
    const hours = /^(\d{1,2})h$/.exec(duration);
    if (!hours || Number(hours[1]) < 1 || Number(hours[1]) > 24)
      throw invalidParameter(`Invalid Duration ${duration}: expected a number of hours from 1h to 24h.`);
    const rate = expression ? RATE.exec(expression) : null;
    if (rate && rate[2]?.startsWith('hour') && Number(hours[1]) >= Number(rate[1])) {
      throw invalidParameter(
        `The rotation window (Duration ${duration}) must end before the next window of ${expression} begins.`,
      );
    }
    // A cron window that starts at a fixed hour must not run into the next UTC day.
    const cronHour = expression ? CRON.exec(expression)?.[1]?.trim().split(/\s+/)[1] : undefined;
    if (cronHour !== undefined && /^\d+$/.test(cronHour) && Number(cronHour) + Number(hours[1]) > 24) {
      throw invalidParameter(
        `The rotation window (Duration ${duration}) starting at ${cronHour}:00 UTC must not reach into the next UTC day.`,
      );
    }
  }
  return {
    ...(days !== undefined ? { AutomaticallyAfterDays: days } : {}),
    ...(expression !== undefined ? { ScheduleExpression: expression } : {}),
    ...(duration !== undefined ? { Duration: duration } : {}),
  };
}

function checkExpression(expression: string): void {
  const rate = RATE.exec(expression);
  if (rate) {
    const amount = Number(rate[1]);
    const unit = rate[2] ?? '';
    if (amount < 1)
      throw invalidParameter(`Invalid ScheduleExpression ${expression}: the rate must be positive.`);
    if (unit.startsWith('hour') && amount < 4)
      throw invalidParameter(
        `Invalid ScheduleExpression ${expression}: rotation can happen at most every four hours.`,
      );
    if (unit.startsWith('day') && amount > 1000)
      throw invalidParameter(`Invalid ScheduleExpression ${expression}: at most 1000 days.`);
    return;
  }
  const cron = CRON.exec(expression);
  if (!cron || (cron[1] ?? '').trim().split(/\s+/).length !== 6) {
    throw invalidParameter(
      `Invalid ScheduleExpression ${expression}: expected rate(N hours|days) or cron() with six fields.`,
    );
  }
}

/** AutomaticallyAfterDays as DescribeSecret shows it after a successful rotation (R4). */
export function withComputedDays(rules: RotationRules): RotationRules {
  if (rules.AutomaticallyAfterDays !== undefined || !rules.ScheduleExpression) return rules;
  const rate = RATE.exec(rules.ScheduleExpression);
  if (rate && rate[2]?.startsWith('day')) return { ...rules, AutomaticallyAfterDays: Number(rate[1]) };
  return rules;
}

const durationHours = (rules: RotationRules): number | undefined =>
  rules.Duration ? Number(rules.Duration.replace('h', '')) : undefined;

/**
 * D3: NextRotationDate is the latest time the next rotation will happen: the end of the
 * rotation window that follows `fromMs`. A daily schedule's window runs to the end of the
 * UTC day by default; an hourly one lasts one hour.
 */
export function nextRotationMs(rules: RotationRules | undefined, fromMs: number): number | undefined {
  if (!rules) return undefined;
  const hours = durationHours(rules);
  const dailyWindowEnd = (dayStartMs: number): number => dayStartMs + (hours ?? 24) * HOUR_MS - 1000;
  if (rules.AutomaticallyAfterDays !== undefined) {
    return dailyWindowEnd(Math.floor((fromMs + rules.AutomaticallyAfterDays * DAY_MS) / DAY_MS) * DAY_MS);
  }
  if (!rules.ScheduleExpression) return undefined;
  const rate = RATE.exec(rules.ScheduleExpression);
  if (rate) {
    const amount = Number(rate[1]);
    if (rate[2]?.startsWith('day'))
      return dailyWindowEnd(Math.floor((fromMs + amount * DAY_MS) / DAY_MS) * DAY_MS);
    return fromMs + amount * HOUR_MS + (hours ?? 1) * HOUR_MS;
  }
  const start = nextCronMs(rules.ScheduleExpression, fromMs);
  return start === undefined
    ? undefined
    : start + (hours ?? 24 - new Date(start).getUTCHours()) * HOUR_MS - 1000;
}

const DAY_NAMES = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];
const MONTH_NAMES = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];

/** Expand one cron field (numbers, names, `*`, `?`, lists, ranges, steps) to a set; `L`, `W`, `#` are not supported. */
function cronField(
  field: string,
  min: number,
  max: number,
  names: readonly string[] = [],
  nameBase = min,
): Set<number> | undefined {
  if (field === '*' || field === '?') return undefined;
  const values = new Set<number>();
  const parse = (token: string): number => {
    const index = names.indexOf(token.toUpperCase());
    return index >= 0 ? index + nameBase : Number(token);
  };
  for (const part of field.split(',')) {
    const [range = '', stepText] = part.split('/');
    const step = stepText === undefined ? 1 : Number(stepText);
    const [fromText = '', toText] = range === '*' ? [String(min), String(max)] : range.split('-');
    const from = parse(fromText);
    const to = toText === undefined ? (stepText === undefined ? from : max) : parse(toText);
    if (![from, to, step].every(Number.isInteger) || step < 1) return new Set();
    for (let value = from; value <= to; value += step) values.add(value);
  }
  return values;
}

/** The first minute after `fromMs` that a six-field AWS cron expression selects (UTC), within five years. */
export function nextCronMs(expression: string, fromMs: number): number | undefined {
  const body = CRON.exec(expression)?.[1]?.trim().split(/\s+/);
  if (!body || body.length !== 6) return undefined;
  const [minF = '*', hourF = '*', domF = '*', monthF = '*', dowF = '*', yearF = '*'] = body;
  const minutes = cronField(minF, 0, 59);
  const hoursSet = cronField(hourF, 0, 23);
  const dom = cronField(domF, 1, 31);
  const months = cronField(monthF, 1, 12, MONTH_NAMES, 1);
  const dow = cronField(dowF, 1, 7, DAY_NAMES, 1);
  const years = cronField(yearF, 1970, 2199);
  const firstDay = Math.floor(fromMs / DAY_MS) * DAY_MS;
  for (let day = firstDay; day < firstDay + 5 * 366 * DAY_MS; day += DAY_MS) {
    const date = new Date(day);
    if (years && !years.has(date.getUTCFullYear())) continue;
    if (months && !months.has(date.getUTCMonth() + 1)) continue;
    if (dom && !dom.has(date.getUTCDate())) continue;
    if (dow && !dow.has(date.getUTCDay() + 1)) continue;
    for (let hour = 0; hour < 24; hour += 1) {
      if (hoursSet && !hoursSet.has(hour)) continue;
      for (let minute = 0; minute < 60; minute += 1) {
        if (minutes && !minutes.has(minute)) continue;
        const candidate = day + hour * HOUR_MS + minute * 60_000;
        if (candidate > fromMs) return candidate;
      }
    }
  }
  return undefined;
}
