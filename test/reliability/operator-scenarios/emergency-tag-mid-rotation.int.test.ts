import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExitCode } from '../../../scripts/cli/exit-code.ts';
import { EMERGENCY_STAGE } from '../../../shared/rotation-progress.ts';
import { keyringPrivateFragments, keyringSecret } from '../../functions/jwt/jwt-fixtures.ts';
import { signWithKeyring, verifiesWithKeyring } from '../../functions/jwt/jwt-verifiers.ts';
import { linesWith, startScenarioStack, versionWith, type ScenarioStack } from './scenario-stack.ts';

/**
 * Issue 13, scenario 2: the operator tags RotationMode=emergency while a scheduled JWT
 * keyring rotation is running. That rotation's content was decided at its createSecret
 * (a normal keyring, old keys kept), so it must complete as a normal rotation, claim no
 * revocation, and leave the tag for the next rotation, with the logs and `rotation status`
 * saying so; the next rotation is the emergency one and names exactly what it revoked.
 * Tagged before testSecret, the rotation must not fail on every retry either.
 */
let stack: ScenarioStack;
const known: string[] = [];

beforeAll(async () => {
  stack = await startScenarioStack({ kinds: ['jwt'] });
}, 180_000);

afterAll(async () => {
  await stack?.close();
});

const DEFERRED = /^RotationMode=emergency was set after this rotation began/;

async function keyringOf(secretId: string, where: { stage?: string; versionId?: string } = {}) {
  const text = await stack.value(secretId, where);
  known.push(...keyringPrivateFragments(text));
  const kids = (JSON.parse(text) as { keys: { kid: string; status: string }[] }).keys;
  return { text, kids: kids.map((key) => key.kid), statuses: kids.map((key) => `${key.kid}:${key.status}`) };
}

async function newKeyringSecret(name: string): Promise<string> {
  const seed = await keyringSecret([
    { kid: `${name.replace(/\W/g, '-')}-current`, status: 'current', alg: 'HS256' },
    { kid: `${name.replace(/\W/g, '-')}-next`, status: 'next', alg: 'HS256' },
  ]);
  known.push(...seed.materials);
  return stack.createSecret(name, seed.value);
}

describe('an emergency tag that arrives during a scheduled rotation (scenario 2)', () => {
  it('between testSecret and finishSecret: completes as a normal rotation, claims no revocation, and the next rotation revokes', async () => {
    const secretId = await newKeyringSecret('scenario2/between-test-and-finish');
    const leaked = await keyringOf(secretId);
    const leakedToken = await signWithKeyring(leaked.text);
    let statusMidRotation: Awaited<ReturnType<ScenarioStack['cli']>> | undefined;
    const fn = stack.gated('jwt', 'jwt-tag-before-finish', {
      before: async (event) => {
        if (event.Step !== 'finishSecret') return;
        await stack.tag(secretId, { RotationMode: 'emergency' });
        statusMidRotation = await stack.cli(['status', secretId]);
      },
    });
    const record = await stack.rotate(secretId, fn);
    expect(record.outcome, JSON.stringify(record.steps.filter((s) => !s.ok))).toBe('succeeded');

    // While it ran, status said the tag applies to the next rotation (and that is a problem to act on).
    expect(statusMidRotation?.code).toBe(ExitCode.failed);
    expect(statusMidRotation?.stdout).toMatch(/\bdeferred\b/);
    expect(statusMidRotation?.stdout).toContain(
      'emergency requested after the running rotation began: that rotation is not an emergency one; the tag applies to the next rotation',
    );

    // A normal rotation: the leaked current key is still in the keyring (as previous), nothing revoked.
    const normal = await keyringOf(secretId);
    expect(normal.statuses).toContain(`${leaked.kids[0]}:previous`);
    expect(await verifiesWithKeyring(leakedToken, normal.text)).toBe(true);
    const stages = await stack.stages(secretId);
    expect(versionWith(stages, 'AWSPREVIOUS')).toBeDefined();
    expect(versionWith(stages, EMERGENCY_STAGE)).toBeUndefined();
    expect((await stack.tags(secretId))['RotationMode']).toBe('emergency');
    const logs = stack.logsOf('jwt', secretId);
    expect(linesWith(logs, /^Emergency rotation/)).toEqual([]);
    expect(
      logs.filter((line) => /revok/i.test(line) && !DEFERRED.test(String(JSON.parse(line).message))),
    ).toEqual([]);
    expect(linesWith(logs, DEFERRED).map((line) => [line['step'], line['versionId']])).toEqual([
      ['finishSecret', record.token],
    ]);

    // Afterwards status still asks for the emergency rotation: the leaked key is not revoked yet.
    const after = await stack.cli(['status', secretId]);
    expect(after.code).toBe(ExitCode.failed);
    expect(after.stdout).toContain('emergency requested (RotationMode=emergency) and not yet rotated');
    expect(after.stdout).toContain('run: rotation rotate scenario2/between-test-and-finish');

    // The next rotation is the emergency one, and its log names exactly what it revoked.
    const beforeEmergency = await keyringOf(secretId);
    const next = await stack.cli(['rotate', secretId]);
    expect(next.code, next.stdout + next.stderr).toBe(ExitCode.ok);
    const emergency = await keyringOf(secretId);
    expect(emergency.kids.filter((kid) => [...leaked.kids, ...beforeEmergency.kids].includes(kid))).toEqual(
      [],
    );
    expect(await verifiesWithKeyring(leakedToken, emergency.text)).toBe(false);
    expect(versionWith(await stack.stages(secretId), 'AWSPREVIOUS')).toBeUndefined();
    expect((await stack.tags(secretId))['RotationMode']).toBeUndefined();
    const done = linesWith(
      stack.logsOf('jwt', secretId),
      'Emergency rotation complete: revoked the old credential',
    );
    expect(done.map((line) => line['revoked'])).toEqual([
      [
        `AWSPREVIOUS label of version ${record.token}`,
        `signing keys ${beforeEmergency.kids.join(', ')} (no longer in any labelled version)`,
      ],
    ]);
    const healthy = await stack.cli(['status', secretId]);
    expect(healthy.code, healthy.stdout).toBe(ExitCode.ok);
  });

  it('before testSecret: the rotation still succeeds (no retry loop), and the tag waits for the next rotation', async () => {
    const secretId = await newKeyringSecret('scenario2/before-test');
    const leaked = await keyringOf(secretId);
    const fn = stack.gated('jwt', 'jwt-tag-before-test', {
      before: async (event) => {
        if (event.Step === 'testSecret') await stack.tag(secretId, { RotationMode: 'emergency' });
      },
    });
    const record = await stack.rotate(secretId, fn);
    expect(record.outcome, JSON.stringify(record.steps.filter((s) => !s.ok))).toBe('succeeded');
    expect(record.steps.map((step) => `${step.step}:${step.ok}`)).toEqual([
      'createSecret:true',
      'setSecret:true',
      'testSecret:true',
      'finishSecret:true',
    ]);
    const normal = await keyringOf(secretId);
    expect(normal.statuses).toContain(`${leaked.kids[0]}:previous`);
    expect((await stack.tags(secretId))['RotationMode']).toBe('emergency');
    const logs = stack.logsOf('jwt', secretId);
    expect(linesWith(logs, /^Emergency rotation/)).toEqual([]);
    expect(linesWith(logs, DEFERRED).map((line) => line['step'])).toEqual(['finishSecret']);
    const status = await stack.cli(['status', secretId]);
    expect(status.code).toBe(ExitCode.failed);
    expect(status.stdout).toContain('emergency requested (RotationMode=emergency) and not yet rotated');
  });

  it('prints no key, in any CLI output or function log line', () => {
    const text = [...stack.cliOutput, ...stack.logs('jwt')].join('\n');
    expect(known.length).toBeGreaterThan(6);
    for (const value of known) expect(text).not.toContain(value);
  });
});
