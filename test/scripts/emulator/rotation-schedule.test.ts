import { describe, expect, it } from 'vitest';
import { Input } from '../../../scripts/emulator/input.ts';
import {
  nextCronMs,
  nextRotationMs,
  readRotationRules,
} from '../../../scripts/emulator/rotation-schedule.ts';

const at = (iso: string): number => Date.parse(iso);

describe('rotation rules', () => {
  it('R4: AutomaticallyAfterDays is 1-1000 (ValidationException) and cannot be combined with ScheduleExpression', () => {
    expect(() => readRotationRules(new Input({ AutomaticallyAfterDays: 0 }))).toThrow(
      expect.objectContaining({ type: 'ValidationException' }),
    );
    expect(() => readRotationRules(new Input({ AutomaticallyAfterDays: 1001 }))).toThrow(
      expect.objectContaining({ type: 'ValidationException' }),
    );
    expect(() =>
      readRotationRules(new Input({ AutomaticallyAfterDays: 5, ScheduleExpression: 'rate(5 days)' })),
    ).toThrow(expect.objectContaining({ type: 'InvalidParameterException' }));
    expect(readRotationRules(new Input({ AutomaticallyAfterDays: 30 }))).toEqual({
      AutomaticallyAfterDays: 30,
    });
  });

  it('R4: rate() at least every four hours, cron() with six fields, Duration Nh within the schedule', () => {
    expect(() => readRotationRules(new Input({ ScheduleExpression: 'rate(3 hours)' }))).toThrow(
      expect.objectContaining({ type: 'InvalidParameterException' }),
    );
    expect(() => readRotationRules(new Input({ ScheduleExpression: 'cron(0 12 * * ?)' }))).toThrow(
      expect.objectContaining({ type: 'InvalidParameterException' }),
    );
    expect(() =>
      readRotationRules(new Input({ ScheduleExpression: 'rate(4 hours)', Duration: '4h' })),
    ).toThrow(expect.objectContaining({ type: 'InvalidParameterException' }));
    expect(() =>
      readRotationRules(new Input({ ScheduleExpression: 'rate(1 days)', Duration: 'xh' })),
    ).toThrow(expect.objectContaining({ type: 'ValidationException' }));
    expect(() =>
      readRotationRules(new Input({ ScheduleExpression: 'cron(0 20 * * ? *)', Duration: '5h' })),
    ).toThrow(expect.objectContaining({ type: 'InvalidParameterException' }));
    expect(
      readRotationRules(new Input({ ScheduleExpression: 'cron(0 16 1,15 * ? *)', Duration: '2h' })),
    ).toEqual({ ScheduleExpression: 'cron(0 16 1,15 * ? *)', Duration: '2h' });
  });

  it('D3: NextRotationDate is the end of the window N days later (end of the UTC day by default)', () => {
    expect(nextRotationMs({ AutomaticallyAfterDays: 30 }, at('2026-01-01T10:00:00Z'))).toBe(
      at('2026-01-31T23:59:59Z'),
    );
    expect(
      nextRotationMs({ ScheduleExpression: 'rate(10 days)', Duration: '3h' }, at('2026-01-01T10:00:00Z')),
    ).toBe(at('2026-01-11T02:59:59Z'));
    expect(nextRotationMs({ ScheduleExpression: 'rate(6 hours)' }, at('2026-01-01T10:00:00Z'))).toBe(
      at('2026-01-01T17:00:00Z'),
    );
    expect(nextRotationMs(undefined, at('2026-01-01T10:00:00Z'))).toBeUndefined();
  });

  it('cron(): the next selected minute in UTC, with lists, ranges, steps and day names', () => {
    expect(nextCronMs('cron(0 16 1,15 * ? *)', at('2026-01-01T17:00:00Z'))).toBe(at('2026-01-15T16:00:00Z'));
    expect(nextCronMs('cron(30 2 ? * MON *)', at('2026-01-01T00:00:00Z'))).toBe(at('2026-01-05T02:30:00Z'));
    expect(nextCronMs('cron(0 */6 * * ? *)', at('2026-01-01T07:00:00Z'))).toBe(at('2026-01-01T12:00:00Z'));
  });
});
