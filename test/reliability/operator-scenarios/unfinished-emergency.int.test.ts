import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExitCode } from '../../../scripts/cli/exit-code.ts';
import { startRedis, waitUntil, type RedisServer } from '../../../scripts/testbed/servers.ts';
import { EMERGENCY_STAGE, ProgressTag } from '../../../shared/rotation-progress.ts';
import { canLogin, passwordOf, run } from '../../functions/redis/redis-harness.ts';
import {
  linesWith,
  startScenarioStack,
  versionWith,
  type CliRun,
  type ScenarioStack,
} from './scenario-stack.ts';

/**
 * Issue 13, scenario 4: an emergency Redis rotation whose finishSecret fails on one node
 * (a replica stops between testSecret and finishSecret). AWSCURRENT has moved, the leaked
 * password still works. `status` must show the unfinished emergency with its fix and exit
 * non-zero, `repair` must not say "nothing to repair", and once the node is back the fix
 * (repair --finish, or the next rotation the service starts while the tag is still set,
 * which is an emergency one and says so) leaves the leaked password refused on every node.
 * Built redis.zip, packaged CLI, a real Redis 7 primary and replica with ACL files.
 */
const ADMIN = 'scenario4-admin-Pw-01';
let stack: ScenarioStack;
let primary: RedisServer;
let replica: RedisServer;
const known: string[] = [ADMIN];

beforeAll(async () => {
  primary = await startRedis({ aclFile: true, requirepass: ADMIN });
  replica = await startRedis({
    aclFile: true,
    requirepass: ADMIN,
    masterAuth: ADMIN,
    replicaOf: { host: primary.host, port: primary.port },
  });
  stack = await startScenarioStack({
    kinds: ['redis'],
    env: { redis: { REDIS_CONNECT_TIMEOUT_MS: '2000', REDIS_COMMAND_TIMEOUT_MS: '2000' } },
  });
}, 180_000);

afterAll(async () => {
  await stack?.close();
  await Promise.all([replica?.destroy(), primary?.destroy()]);
});

async function replicaBack(): Promise<void> {
  await replica.start();
  await waitUntil(
    async () => {
      const [info] = await run(replica, undefined, ADMIN, [['INFO', 'replication']]);
      return String(info).includes('master_link_status:up');
    },
    { what: 'the replica to link to its primary again', timeoutMs: 15_000 },
  );
}

/**
 * A secret of ACL user `user` rotated once (both nodes recorded), then an emergency rotation
 * whose finishSecret finds the replica stopped, started by the operator's `rotation rotate
 * --emergency` or by the service after a tag. Returns the leaked password and what the CLI said.
 */
async function unfinishedEmergency(name: string, user: string, startedBy: 'cli' | 'service') {
  const initial = `${user}-initial-Pw-0001`;
  known.push(initial);
  for (const server of [primary, replica])
    await run(server, undefined, ADMIN, [
      ['ACL', 'SETUSER', user, 'reset', 'on', `>${initial}`, '~*', '&*', '+@all'],
      ['ACL', 'SAVE'],
    ]);
  const secretId = await stack.createSecret(name, {
    host: '127.0.0.1',
    port: primary.port,
    username: user,
    password: initial,
  });
  const first = await stack.rotate(secretId, stack.functionArn('redis'));
  expect(first.outcome, JSON.stringify(first.steps.filter((s) => !s.ok))).toBe('succeeded');
  const leaked = passwordOf(await stack.value(secretId));
  known.push(leaked);

  // The replica stops once, at this rotation's finishSecret; later rotations run undisturbed.
  let armed = true;
  const fn = stack.gated('redis', `redis-replica-stops-${user}`, {
    before: async (event) => {
      if (event.Step !== 'finishSecret' || !armed) return;
      armed = false;
      await replica.stop();
    },
  });
  let said: CliRun | undefined;
  if (startedBy === 'cli') {
    said = await stack.cli(['rotate', name, '--emergency', '--yes', '--rotation-lambda-arn', fn]);
  } else {
    await stack.tag(secretId, { RotationMode: 'emergency' });
    await stack.startRotation(secretId, fn);
  }
  const record = await stack.emu.waitForRotation(secretId);
  expect(record.outcome).toBe('failed');
  const failed = record.steps.filter((step) => !step.ok);
  expect(failed.map((step) => [step.step, step.error?.code])).toEqual([
    ['finishSecret', 'ERR_TARGET_UNREACHABLE'],
  ]);
  expect(failed[0]?.error?.message).toContain(`127.0.0.1:${replica.port}`);
  known.push(passwordOf(await stack.value(secretId)));
  return { secretId, leaked, token: record.token, said };
}

describe('an emergency Redis rotation whose finishSecret fails on one node (scenario 4)', () => {
  it('is shown by status with its fix, is not "nothing to repair", and repair --finish revokes the leaked password on every node', async () => {
    const name = 'scenario4/repair-finish';
    const { secretId, leaked, token, said } = await unfinishedEmergency(name, 'scenario4_finish', 'cli');
    // The operator's own rotate says AWSCURRENT moved and how to finish, not "AWSCURRENT is unchanged".
    expect(said?.code, `${said?.stdout}${said?.stderr}`).toBe(ExitCode.failed);
    expect(said?.stdout).toContain('ERR_TARGET_UNREACHABLE');
    expect(said?.stdout).toContain(
      "AWSCURRENT moved to the new version but the emergency's revoking work did not complete: the leaked credential may still work.",
    );
    expect(said?.stdout).toContain(`rotation repair ${name} --finish`);
    expect(said?.stdout).not.toContain('AWSCURRENT is unchanged');

    // The state: AWSCURRENT moved to the emergency version, its label and the tag still there.
    const stages = await stack.stages(secretId);
    expect(versionWith(stages, 'AWSCURRENT')).toBe(token);
    expect(versionWith(stages, EMERGENCY_STAGE)).toBe(token);
    const tags = await stack.tags(secretId);
    expect(tags).toMatchObject({
      RotationMode: 'emergency',
      [ProgressTag.step]: 'finishSecret',
      [ProgressTag.outcome]: 'failed',
      [ProgressTag.errorCode]: 'ERR_TARGET_UNREACHABLE',
      [ProgressTag.emergency]: 'unfinished',
    });
    expect(await canLogin(primary, 'scenario4_finish', leaked)).toBe(true); // not revoked anywhere
    expect(linesWith(stack.logsOf('redis', secretId), /^Emergency rotation complete/)).toEqual([]);

    const status = await stack.cli(['status', name]);
    expect(status.code, status.stdout + status.stderr).toBe(ExitCode.failed);
    expect(status.stdout).toMatch(new RegExp(`${name}\\s.*\\bunfinished\\b`));
    expect(status.stdout).toContain(
      `unfinished emergency: AWSCURRENT came from an emergency rotation that did not finish revoking; the leaked credential may still work; fix with: rotation repair ${name} --finish`,
    );

    const repair = await stack.cli(['repair', name]);
    expect(repair.code, repair.stdout + repair.stderr).toBe(ExitCode.failed);
    expect(repair.stdout).not.toMatch(/nothing to repair/i);
    expect(repair.stdout).toContain('Unfinished emergency');
    expect(repair.stdout).toContain(`Fix: rotation repair ${name} --finish`);

    await replicaBack();
    expect(await canLogin(replica, 'scenario4_finish', leaked)).toBe(true); // the node that missed the revocation
    const finish = await stack.cli(['repair', name, '--finish', '--yes']);
    expect(finish.code, finish.stdout + finish.stderr).toBe(ExitCode.ok);
    expect(finish.stdout).toContain('Finished');
    const now = passwordOf(await stack.value(secretId));
    known.push(now);
    for (const server of [primary, replica]) {
      expect(await canLogin(server, 'scenario4_finish', leaked)).toBe(false);
      expect(await canLogin(server, 'scenario4_finish', now)).toBe(true);
    }
    expect((await stack.tags(secretId))['RotationMode']).toBeUndefined();
    expect(versionWith(await stack.stages(secretId), EMERGENCY_STAGE)).toBeUndefined();
    const healthy = await stack.cli(['status', name]);
    expect(healthy.code, healthy.stdout).toBe(ExitCode.ok);
  });

  it('the next rotation the service starts while the tag is set is an emergency one, says so, and revokes the leaked password on every node', async () => {
    const name = 'scenario4/next-rotation';
    const { secretId, leaked, token } = await unfinishedEmergency(name, 'scenario4_next', 'service');
    await replicaBack();

    const next = await stack.rotate(secretId, stack.functionArn('redis'));
    expect(next.outcome, JSON.stringify(next.steps.filter((s) => !s.ok))).toBe('succeeded');
    const logs = stack.logsOf('redis', secretId);
    const decided = linesWith(logs, /^RotationMode=emergency is set: this rotation is an emergency one/);
    // Said where each emergency rotation was decided; the second names the one it takes over.
    expect(
      decided.map((line) => [line['step'], line['versionId'], line['unfinishedEmergencyVersionId']]),
    ).toEqual([
      ['createSecret', token, undefined],
      ['createSecret', next.token, token],
    ]);
    expect(linesWith(logs, 'Emergency rotation complete: revoked the old credential')).toHaveLength(1);
    const now = passwordOf(await stack.value(secretId));
    known.push(now);
    for (const server of [primary, replica]) {
      expect(await canLogin(server, 'scenario4_next', leaked)).toBe(false);
      expect(await canLogin(server, 'scenario4_next', now)).toBe(true);
    }
    expect((await stack.tags(secretId))['RotationMode']).toBeUndefined();
    expect(versionWith(await stack.stages(secretId), EMERGENCY_STAGE)).toBeUndefined();
    const healthy = await stack.cli(['status', name]);
    expect(healthy.code, healthy.stdout).toBe(ExitCode.ok);
  });

  it('prints no password, in any CLI output or function log line', () => {
    const text = [...stack.cliOutput, ...stack.logs('redis')].join('\n');
    expect(known.length).toBeGreaterThan(6);
    for (const value of known) expect(text).not.toContain(value);
  });
});
