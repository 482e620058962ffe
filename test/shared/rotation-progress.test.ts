import { describe, expect, it } from 'vitest';
import { ErrorCode } from '../../shared/errors.ts';
import { createMemoryLog } from '../../scripts/testbed/memory-observability.ts';
import { secretsManagerPasswordGenerator } from '../../shared/password.ts';
import {
  EMERGENCY_STAGE,
  ProgressTag,
  emergencyStateOf,
  readProgress,
} from '../../shared/rotation-progress.ts';
import { Rotator, StepOutcome } from '../../shared/rotator.ts';
import type { FinishInput, RotationStrategy } from '../../shared/strategy.ts';
import { codeOfAsync } from '../support/error-code.ts';
import { FakeTarget, fakeStrategy, type FakeValue } from './fake-strategy.ts';
import { MemorySecretsPort } from './memory-secrets-port.ts';

const CURRENT = 'c'.repeat(32);
const TOKEN = 't'.repeat(32);
const NEXT = 'n'.repeat(32);
const STEPS = ['createSecret', 'setSecret', 'testSecret', 'finishSecret'] as const;

function setup(options: { failTest?: () => boolean; replacesCurrent?: boolean } = {}) {
  const port = new MemorySecretsPort()
    .addVersion(CURRENT, JSON.stringify({ username: 'app', password: 'Current-Passw0rd!' }), ['AWSCURRENT'])
    .addVersion(TOKEN, undefined, ['AWSPENDING']);
  const target = new FakeTarget();
  target.passwords.set('app', 'Current-Passw0rd!');
  const logger = createMemoryLog();
  const finished: FinishInput<FakeValue>[] = [];
  const base = fakeStrategy(target, secretsManagerPasswordGenerator(port));
  const strategy: RotationStrategy<FakeValue> = {
    ...base,
    async testSecret(input) {
      if (options.failTest?.()) throw new Error('test query lacks a grant');
      return base.testSecret(input);
    },
    async finishSecret(input) {
      finished.push(input);
      return { revoked: input.context.emergency ? [`fake password of ${input.current.username}`] : [] };
    },
    ...(options.replacesCurrent ? { setReplacesCurrent: () => true } : {}),
  };
  const rotator = new Rotator({ secrets: port, strategy, logger, clock: () => Date.UTC(2026, 11, 1) });
  const run = (Step: (typeof STEPS)[number], token = TOKEN) =>
    rotator.handle({ Step, SecretId: port.arn, ClientRequestToken: token });
  return { port, logger, finished, run };
}

describe('emergency intent bound to the rotation', () => {
  it('createSecret records the tag as a label on the pending version and keeps the value the consumer reads', async () => {
    const s = setup();
    s.port.tags = { RotationMode: 'emergency' };
    await s.run('createSecret');
    expect(s.port.labels()[TOKEN]).toEqual(['AWSPENDING', EMERGENCY_STAGE].sort());
    expect(JSON.parse(s.port.versions.get(TOKEN)!.value!)).toEqual({
      username: 'app',
      password: expect.any(String),
    });
  });

  it('a tag set after createSecret does not make this rotation an emergency and is left for the next one', async () => {
    const s = setup();
    await s.run('createSecret');
    s.port.tags = { RotationMode: 'emergency' };
    for (const step of STEPS.slice(1)) await s.run(step);
    expect(s.finished).toHaveLength(1);
    expect(s.finished[0]?.context.emergency).toBe(false);
    expect(s.port.userTags()).toEqual({ RotationMode: 'emergency' });
    expect(s.port.tags[ProgressTag.emergency]).toBe('deferred');
    expect(s.logger.lines.some((line) => line.includes('applies to the next rotation'))).toBe(true);
    expect(s.logger.lines.some((line) => line.includes('revoked the old credential'))).toBe(false);
    // The next rotation takes it.
    s.port.addVersion(NEXT, undefined, ['AWSPENDING']);
    for (const step of STEPS) await s.run(step, NEXT);
    expect(s.finished[1]?.context.emergency).toBe(true);
    expect(s.port.userTags()).toEqual({});
    expect(s.port.labels()[NEXT]).toContain('AWSCURRENT');
    expect(s.port.labels()[NEXT]).not.toContain(EMERGENCY_STAGE);
  });

  it('a tag removed mid-rotation does not cancel the emergency the rotation started as', async () => {
    const s = setup();
    s.port.tags = { RotationMode: 'emergency' };
    await s.run('createSecret');
    s.port.tags = {};
    for (const step of STEPS.slice(1)) await s.run(step);
    expect(s.finished[0]?.context.emergency).toBe(true);
    const warning = s.logger.lines.find((line) => line.includes('revoked the old credential'));
    expect(JSON.parse(warning!).revoked).toEqual(['fake password of app']);
    expect(s.port.tags[ProgressTag.emergency]).toBe('revoked');
  });

  it('a failed finishing hook leaves the emergency unfinished and visible on AWSCURRENT', async () => {
    const s = setup();
    s.port.tags = { RotationMode: 'emergency' };
    for (const step of STEPS.slice(0, 3)) await s.run(step);
    const port = s.port;
    const original = port.untagResource.bind(port);
    port.untagResource = async () => {
      throw new Error('throttled');
    };
    expect(await codeOfAsync(s.run('finishSecret'))).toBe(ErrorCode.ERR_INTERNAL);
    expect(emergencyStateOf(port.labels(), port.tags)).toEqual({ state: 'unfinished', versionId: TOKEN });
    expect(port.tags[ProgressTag.emergency]).toBe('unfinished');
    port.untagResource = original;
    expect(await s.run('finishSecret')).toBe(StepOutcome.done);
    expect(emergencyStateOf(port.labels(), port.tags)).toEqual({ state: 'none' });
  });
});

describe('a rotation that starts while the tag is set', () => {
  const decided = (lines: readonly string[]) =>
    lines
      .map((line) => JSON.parse(line) as Record<string, unknown>)
      .filter((entry) => String(entry['message']).startsWith('RotationMode=emergency is set'));

  it('says at createSecret that it is an emergency one', async () => {
    const s = setup();
    s.port.tags = { RotationMode: 'emergency' };
    await s.run('createSecret');
    expect(decided(s.logger.lines)).toMatchObject([{ level: 'WARN', versionId: TOKEN }]);
    expect(decided(s.logger.lines)[0]).not.toHaveProperty('unfinishedEmergencyVersionId');
  });

  it('names the unfinished emergency it takes over, whose label moves to the new version', async () => {
    const s = setup();
    s.port.tags = { RotationMode: 'emergency' };
    for (const step of STEPS.slice(0, 3)) await s.run(step);
    const original = s.port.untagResource.bind(s.port);
    s.port.untagResource = async () => {
      throw new Error('throttled');
    };
    await codeOfAsync(s.run('finishSecret'));
    s.port.untagResource = original;
    expect(emergencyStateOf(s.port.labels(), s.port.tags).state).toBe('unfinished');

    s.port.addVersion(NEXT, undefined, ['AWSPENDING']);
    await s.run('createSecret', NEXT);
    expect(decided(s.logger.lines).slice(1)).toMatchObject([
      { versionId: NEXT, unfinishedEmergencyVersionId: TOKEN },
    ]);
    expect(s.port.labels()[TOKEN]).not.toContain(EMERGENCY_STAGE);
    expect(emergencyStateOf(s.port.labels(), s.port.tags)).toEqual({ state: 'in-progress', versionId: NEXT });
  });

  it('says nothing of the kind when the tag is not set', async () => {
    const s = setup();
    for (const step of STEPS) await s.run(step);
    expect(decided(s.logger.lines)).toEqual([]);
  });
});

describe('progress tags', () => {
  it('writes one TagResource per step with step, outcome, attempt, time and kind, and no value', async () => {
    const s = setup();
    for (const step of STEPS) {
      const before = s.port.calls.filter((call) => call === 'TagResource').length;
      await s.run(step);
      expect(s.port.calls.filter((call) => call === 'TagResource').length).toBe(before + 1);
      expect(readProgress(s.port.tags)).toMatchObject({ token: TOKEN, step, outcome: 'done', attempt: 1 });
    }
    expect(s.port.tags).toMatchObject({
      [ProgressTag.errorCode]: 'none',
      [ProgressTag.at]: '2026-12-01T00:00:00.000Z',
      [ProgressTag.kind]: 'generic',
      [ProgressTag.emergency]: 'none',
      [ProgressTag.current]: 'works',
    });
    for (const [key, value] of Object.entries(s.port.tags)) {
      expect(key.startsWith('aws:')).toBe(false);
      expect(key).toMatch(/^[\p{L}\p{Z}\p{N}_.:/=+\-@]{1,128}$/u);
      for (const version of s.port.versions.values())
        if (version.value) expect(version.value).not.toContain(value.length > 3 ? value : '\u0000');
    }
  });

  it('keeps a Current written alone when no full record landed before it', async () => {
    const s = setup({ failTest: () => true, replacesCurrent: true });
    const original = s.port.tagResource.bind(s.port);
    // The step records of createSecret and setSecret are refused; the write before the cut-over
    // (Current=changing alone) lands, and so does every later record.
    let call = 0;
    s.port.tagResource = async (...args: Parameters<typeof original>) => {
      call += 1;
      if (call === 1 || call === 3) throw new Error('throttled');
      return original(...args);
    };
    await s.run('createSecret');
    await s.run('setSecret');
    expect(readProgress(s.port.tags)).toBeUndefined();
    expect(s.port.tags[ProgressTag.current]).toBe('changing');
    // Later records must not say AWSCURRENT works: they carry the Current written alone.
    await codeOfAsync(s.run('testSecret'));
    expect(readProgress(s.port.tags)).toMatchObject({ step: 'testSecret', current: 'changing' });
    await s.run('createSecret');
    expect(readProgress(s.port.tags)).toMatchObject({ step: 'createSecret', current: 'changing' });
  });

  it('records a failure with its code and counts the attempts of that step', async () => {
    let fail = true;
    const s = setup({ failTest: () => fail, replacesCurrent: true });
    for (const step of STEPS.slice(0, 2)) await s.run(step);
    expect(s.port.tags[ProgressTag.current]).toBe('replaced');
    await codeOfAsync(s.run('testSecret'));
    await codeOfAsync(s.run('testSecret'));
    expect(readProgress(s.port.tags)).toMatchObject({
      step: 'testSecret',
      outcome: 'failed',
      errorCode: 'ERR_INTERNAL',
      attempt: 2,
      current: 'replaced',
    });
    fail = false;
    await s.run('testSecret');
    expect(readProgress(s.port.tags)).toMatchObject({ outcome: 'done', attempt: 3, errorCode: undefined });
    await s.run('finishSecret');
    expect(s.port.tags[ProgressTag.current]).toBe('works');
  });

  it('a late step of another token writes nothing over the rotation in progress', async () => {
    const s = setup();
    await s.run('createSecret');
    const tags = { ...s.port.tags };
    const calls = s.port.calls.length;
    expect(await s.run('finishSecret', CURRENT)).toBe(StepOutcome.alreadyCurrent);
    expect(s.port.tags).toEqual(tags);
    expect(s.port.calls.slice(calls)).toEqual(['DescribeSecret']);
  });

  it('a refused tag write is a warning and the step still succeeds', async () => {
    const s = setup();
    s.port.tagResource = async () => {
      throw new Error('AccessDeniedException');
    };
    expect(await s.run('createSecret')).toBe(StepOutcome.done);
    expect(s.logger.lines.some((line) => line.includes('Could not record rotation progress'))).toBe(true);
  });
});
