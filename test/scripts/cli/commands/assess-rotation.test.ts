import { describe, expect, it } from 'vitest';
import {
  assessRotation,
  rotationPeriodDays,
  type SecretFacts,
} from '../../../../scripts/cli/commands/assess-rotation.ts';

const DAY = 86_400_000;
const NOW = Date.parse('2026-11-23T12:00:00Z');

function facts(overrides: Partial<SecretFacts> = {}): SecretFacts {
  return {
    name: 'app/db',
    arn: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:app/db-AbCdEf',
    versionIdsToStages: { v1: ['AWSCURRENT'] },
    ...overrides,
  };
}

describe('rotationPeriodDays', () => {
  it('uses AutomaticallyAfterDays, then rate(), then the 90-day default', () => {
    expect(rotationPeriodDays({ automaticallyAfterDays: 30 }).days).toBe(30);
    expect(rotationPeriodDays({ scheduleExpression: 'rate(12 hours)' }).days).toBe(0.5);
    expect(rotationPeriodDays({ scheduleExpression: 'rate(7 days)' }).days).toBe(7);
    expect(rotationPeriodDays({ scheduleExpression: 'cron(0 4 ? * MON *)' }).days).toBe(90);
    expect(rotationPeriodDays({}).days).toBe(90);
  });
});

describe('assessRotation', () => {
  it('flags a secret last rotated longer ago than its period as overdue', () => {
    const result = assessRotation(
      facts({ automaticallyAfterDays: 30, lastRotatedDate: new Date(NOW - 31 * DAY) }),
      NOW,
    );
    expect(result.overdue).toBe(true);
    expect(result.overdueReason).toContain('31 days ago');
  });

  it('does not flag a secret rotated within its period', () => {
    const result = assessRotation(
      facts({
        automaticallyAfterDays: 30,
        lastRotatedDate: new Date(NOW - 29 * DAY),
        nextRotationDate: new Date(NOW + DAY),
      }),
      NOW,
    );
    expect(result.overdue).toBe(false);
  });

  it('uses 90 days for a never-rotated secret without a schedule, counted from creation', () => {
    expect(assessRotation(facts({ createdDate: new Date(NOW - 89 * DAY) }), NOW).overdue).toBe(false);
    const old = assessRotation(facts({ createdDate: new Date(NOW - 91 * DAY) }), NOW);
    expect(old.overdue).toBe(true);
    expect(old.overdueReason).toContain('never rotated');
  });

  it('flags a NextRotationDate in the past as overdue', () => {
    const result = assessRotation(
      facts({
        automaticallyAfterDays: 30,
        lastRotatedDate: new Date(NOW - DAY),
        nextRotationDate: new Date(NOW - 1000),
      }),
      NOW,
    );
    expect(result.overdue).toBe(true);
    expect(result.overdueReason).toContain('has passed');
  });

  it('calls AWSPENDING on a non-current version stuck and names both versions', () => {
    const result = assessRotation(
      facts({ versionIdsToStages: { v1: ['AWSCURRENT'], v2: ['AWSPENDING'] } }),
      NOW,
    );
    expect(result).toMatchObject({ stuck: true, pendingVersionId: 'v2', currentVersionId: 'v1' });
  });

  it('counts Current=changing written alone, before any full step record landed', () => {
    // The function's createSecret record was refused; its write before a single-user cut-over landed.
    const result = assessRotation(
      facts({
        versionIdsToStages: { v1: ['AWSCURRENT'], v2: ['AWSPENDING'] },
        pendingCreatedDate: new Date(NOW - 60_000),
        tags: { 'RotationProgress:Current': 'changing' },
      }),
      NOW,
    );
    expect(result.problems).toEqual([
      expect.stringMatching(/^AWSCURRENT may not log in: a single-user setSecret is changing/),
    ]);
  });

  it('does not call AWSPENDING on the current version stuck', () => {
    const result = assessRotation(
      facts({ versionIdsToStages: { v1: ['AWSCURRENT', 'AWSPENDING'], v0: ['AWSPREVIOUS'] } }),
      NOW,
    );
    expect(result.stuck).toBe(false);
    expect(result.pendingVersionId).toBeUndefined();
  });
});
