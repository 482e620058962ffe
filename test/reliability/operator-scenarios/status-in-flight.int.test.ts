import { CancelRotateSecretCommand } from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExitCode } from '../../../scripts/cli/exit-code.ts';
import { plainBase64Key } from '../../functions/jwt/jwt-fixtures.ts';
import { latch, startScenarioStack, versionWith, type ScenarioStack } from './scenario-stack.ts';

/**
 * Issue 13, scenario 5: `rotation status` tells a rotation in flight from a stuck one. A
 * rotation started seconds ago is "rotating" with its age and exits 0 (a cron job running
 * status must not alarm every rotation window, and the repair it used to suggest would
 * break the running rotation); a secret whose rotation was cancelled (rotation off,
 * AWSPENDING left) is listed, as stuck. The built jwt.zip rotates; the packaged CLI reads.
 */
let stack: ScenarioStack;
const keys: string[] = [];

beforeAll(async () => {
  stack = await startScenarioStack({ kinds: ['jwt'] });
}, 180_000);

afterAll(async () => {
  await stack?.close();
});

/** A JWT function whose setSecret waits until released, and says when it got there. */
function heldAtSetSecret(name: string) {
  const reached = latch();
  const hold = latch();
  const arn = stack.gated('jwt', name, {
    before: async (event) => {
      if (event.Step !== 'setSecret') return;
      reached.release();
      await hold.wait;
    },
  });
  return { arn, reached: reached.wait, release: hold.release };
}

describe('rotation status on a rotation in flight (scenario 5)', () => {
  it('shows a rotation started seconds ago as rotating with its age, and exits 0', async () => {
    const key = plainBase64Key();
    keys.push(key);
    const name = 'status/in-flight';
    const arn = await stack.createSecret(name, key);
    const held = heldAtSetSecret('jwt-held-in-flight');
    await stack.startRotation(name, held.arn);
    await held.reached;
    try {
      const one = await stack.cli(['status', name]);
      expect(one.code, one.stdout + one.stderr).toBe(ExitCode.ok);
      expect(one.stdout).toMatch(new RegExp(`${name}\\s.*rotating \\((\\d+m )?\\d+s\\)`));
      expect(one.stdout).not.toMatch(/STUCK/);
      expect(one.stdout).toContain('not a problem yet');
      expect(one.stdout).not.toContain('rotation repair');
      const json = await stack.cli(['status', name, '--output', 'json']);
      const row = (JSON.parse(json.stdout) as { secrets: Record<string, unknown>[] }).secrets[0];
      expect(row).toMatchObject({ arn, state: 'rotating', stuck: false, problems: [] });
      expect(row?.['pendingAgeMs']).toEqual(expect.any(Number));
      // The listing (no secret named) says the same.
      const all = await stack.cli(['status']);
      expect(all.code).toBe(ExitCode.ok);
      expect(all.stdout).toMatch(/0 stuck, 1 rotating/);
    } finally {
      held.release();
    }
    const record = await stack.emu.waitForRotation(name);
    expect(record.outcome).toBe('succeeded');
    keys.push(await stack.value(name));
    const after = await stack.cli(['status', name]);
    expect(after.code).toBe(ExitCode.ok);
    expect(after.stdout).not.toMatch(/rotating \(/);
  });

  it('lists a secret whose rotation was cancelled (rotation off, AWSPENDING left) as stuck, and exits 1', async () => {
    const key = plainBase64Key();
    keys.push(key);
    const name = 'status/cancelled';
    await stack.createSecret(name, key);
    const held = heldAtSetSecret('jwt-held-cancelled');
    await stack.startRotation(name, held.arn);
    await held.reached;
    await stack.sm.send(new CancelRotateSecretCommand({ SecretId: name }));
    held.release();
    const record = await stack.emu.waitForRotation(name);
    expect(record.outcome).toBe('failed');
    const stages = await stack.stages(name);
    const pending = versionWith(stages, 'AWSPENDING');
    expect(pending).toBeDefined();
    expect(pending).not.toBe(versionWith(stages, 'AWSCURRENT'));
    keys.push(await stack.value(name, { stage: 'AWSPENDING' }));

    // Not named: the listing must still find it, although rotation is off.
    const all = await stack.cli(['status']);
    expect(all.code, all.stdout + all.stderr).toBe(ExitCode.failed);
    const line = all.stdout.split('\n').find((l) => l.startsWith(name));
    expect(line).toMatch(/rotation off/);
    expect(line).toMatch(/STUCK \(pending \d+s\)/);
    expect(all.stdout).toContain(
      `problem  ${name}: stuck: rotation is turned off and AWSPENDING was left behind`,
    );
    expect(all.stdout).toContain(`rotation repair ${name}`);
    const one = await stack.cli(['status', name, '--output', 'json']);
    expect(one.code).toBe(ExitCode.failed);
    expect((JSON.parse(one.stdout) as { secrets: unknown[] }).secrets[0]).toMatchObject({
      state: 'stuck',
      stuck: true,
      rotationEnabled: false,
      pendingVersionId: pending,
    });
  });

  it('prints no key, in any CLI output or function log line', () => {
    const text = [...stack.cliOutput, ...stack.logs('jwt')].join('\n');
    expect(keys.length).toBeGreaterThan(3);
    for (const key of keys) expect(text).not.toContain(key);
  });
});
