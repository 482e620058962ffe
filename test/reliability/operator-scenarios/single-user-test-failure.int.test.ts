import {
  ListSecretVersionIdsCommand,
  UpdateSecretVersionStageCommand,
} from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ExitCode } from '../../../scripts/cli/exit-code.ts';
import { canLogin, run } from '../../functions/postgres/postgres-harness.ts';
import { startScenarioStack, versionWith, type ScenarioStack } from './scenario-stack.ts';

/**
 * Issue 13, scenario 3: the CLI's own hint must not cause an outage. A single-user
 * PostgreSQL secret; the function's PG_TEST_QUERY reads a table its user has no grant on,
 * so testSecret fails after setSecret changed the password: AWSCURRENT no longer logs in.
 * The built postgres.zip rotates, the packaged CLI is run as an operator runs it (its own
 * process, the function's PG_* settings in its environment), the server is the test bed's
 * real PostgreSQL. Asserted: the failure hint names finish and roll back (not the plain
 * repair), `rotate` on that state explains instead of starting a rotation doomed to
 * ERR_NO_WORKING_CREDENTIAL, `status` is never green while AWSCURRENT does not log in,
 * following the hint gives a working AWSCURRENT, and the next rotation works.
 */
const servers = inject('servers');
const TABLE = 'scenario3_orders';
const TEST_QUERY = `SELECT count(*) FROM ${TABLE}`;
/** The function's settings, as the operator has them in the CLI's environment for repair's probe. */
const PG_ENV = { PG_TEST_QUERY: TEST_QUERY, PG_CONNECT_TIMEOUT_MS: '3000', PG_STATEMENT_TIMEOUT_MS: '5000' };
let stack: ScenarioStack;
const known: string[] = [];

beforeAll(async () => {
  stack = await startScenarioStack({ kinds: ['postgres'], env: { postgres: PG_ENV } });
  await asAdmin(`CREATE TABLE IF NOT EXISTS ${TABLE} (id int)`);
  await asAdmin(`REVOKE ALL ON ${TABLE} FROM PUBLIC`);
}, 180_000);

afterAll(async () => {
  await stack?.close();
});

/** One statement as the test bed's admin (arranging only; the function logs in on its own). */
async function asAdmin(sql: string): Promise<void> {
  await run(servers.postgres, servers.postgres.adminUser, servers.postgres.adminPassword, [sql]);
}

type Where = { stage?: string; versionId?: string };

async function passwordOf(secretId: string, where: Where): Promise<string> {
  return (JSON.parse(await stack.value(secretId, where)) as Record<string, string>)['password'] as string;
}

/** Does the password a version holds log in as its user on the real server? */
async function logsIn(secretId: string, where: Where): Promise<boolean> {
  const { username, password } = JSON.parse(await stack.value(secretId, where)) as Record<string, string>;
  return canLogin(servers.postgres, username as string, password as string);
}

async function versionCount(secretId: string): Promise<number> {
  const listed = await stack.sm.send(
    new ListSecretVersionIdsCommand({ SecretId: secretId, IncludeDeprecated: true }),
  );
  return listed.Versions?.length ?? 0;
}

/** `rotation status <secret>` must fail (exit 1) and say AWSCURRENT does not log in. */
async function expectStatusNotGreen(name: string): Promise<void> {
  const status = await stack.cli(['status', name]);
  expect(status.code, status.stdout + status.stderr).toBe(ExitCode.failed);
  expect(status.stdout).toMatch(/AWSCURRENT (does not|may not|no longer) log/);
}

/** A single-user secret whose rotation failed at testSecret after setSecret changed the password. */
async function failedRotation(user: string): Promise<{ name: string; hint: string }> {
  const initial = `Scenario3-${user}-initial-Pw`;
  known.push(initial);
  await asAdmin(`DROP ROLE IF EXISTS ${user}`);
  await asAdmin(`CREATE ROLE ${user} LOGIN PASSWORD '${initial}'`);
  const name = `scenario3/${user}`;
  await stack.createSecret(name, {
    engine: 'postgres',
    host: '127.0.0.1',
    port: servers.postgres.port,
    username: user,
    password: initial,
    dbname: 'postgres',
    ssl: false,
  });
  const run = await stack.cli(['rotate', name, '--rotation-lambda-arn', stack.functionArn('postgres')]);
  expect(run.code, run.stdout + run.stderr).toBe(ExitCode.failed);
  expect(run.stdout).toMatch(new RegExp(`FAILED\\s+${name}: rotation failed at testSecret`));
  expect(run.stdout).toContain('ERR_TEST_FAILED');
  known.push(await passwordOf(name, { stage: 'AWSPENDING' }));
  // The state the hint has to be right about: the target already has the pending password.
  expect(await logsIn(name, { stage: 'AWSCURRENT' })).toBe(false);
  expect(await logsIn(name, { stage: 'AWSPENDING' })).toBe(true);
  return { name, hint: run.stdout };
}

/** The dead ends the operator meets before following the hint: nothing changes, nothing is green. */
async function expectNoUnsafeWayOut(name: string): Promise<void> {
  await expectStatusNotGreen(name);
  const stagesBefore = await stack.stages(name);
  const versionsBefore = await versionCount(name);
  const rotationsBefore = stack.emu.rotations.length;

  // rotate explains the state instead of starting a rotation that fails with ERR_NO_WORKING_CREDENTIAL.
  const rotate = await stack.cli(['rotate', name]);
  expect(rotate.code, rotate.stdout + rotate.stderr).toBe(ExitCode.failed);
  expect(rotate.stdout).toMatch(
    new RegExp(`REFUSED\\s+${name}: rotation not started: AWSCURRENT no longer logs in`),
  );
  expect(rotate.stdout).toContain(`rotation repair ${name} --finish`);
  expect(rotate.stdout).toContain(`rotation repair ${name} --rollback`);
  expect(stack.emu.rotations.length).toBe(rotationsBefore);

  // Plain repair looks at the target first and offers the two safe ways, clearing nothing.
  const repair = await stack.cli(['repair', name, '--yes'], PG_ENV);
  expect(repair.code, repair.stdout + repair.stderr).toBe(ExitCode.failed);
  expect(repair.stdout).toContain('AWSCURRENT does not log in');
  expect(repair.stdout).toContain('Two safe ways out');

  expect(await stack.stages(name)).toEqual(stagesBefore);
  expect(await versionCount(name)).toBe(versionsBefore);
  await expectStatusNotGreen(name);
}

/** After the fix: AWSCURRENT logs in, status is green, and the next rotation works. */
async function expectHealthyAndRotatable(name: string): Promise<void> {
  expect(await logsIn(name, { stage: 'AWSCURRENT' })).toBe(true);
  const status = await stack.cli(['status', name]);
  expect(status.code, status.stdout + status.stderr).toBe(ExitCode.ok);
  const next = await stack.cli(['rotate', name]);
  expect(next.code, next.stdout + next.stderr).toBe(ExitCode.ok);
  expect(next.stdout).toMatch(new RegExp(`OK\\s+${name}: rotation succeeded`));
  known.push(await passwordOf(name, { stage: 'AWSCURRENT' }));
  expect(await logsIn(name, { stage: 'AWSCURRENT' })).toBe(true);
  expect((await stack.cli(['status', name])).code).toBe(ExitCode.ok);
}

describe('single user: testSecret fails after setSecret changed the password (scenario 3)', () => {
  it('the hint names finish and roll back; finishing after the grant gives a working AWSCURRENT and the next rotation works', async () => {
    const { name, hint } = await failedRotation('scenario3_finish');
    expect(hint).toContain('AWSCURRENT no longer logs in');
    expect(hint).toContain(`rotation repair ${name} --finish`);
    expect(hint).toContain(`rotation repair ${name} --rollback`);
    expect(hint).not.toContain('AWSCURRENT is unchanged');
    expect(hint).toMatch(/aws logs tail \/aws\/lambda\/postgres-zip --since \d+m --follow/);
    await expectNoUnsafeWayOut(name);

    // Follow the hint: fix the cause (the grant PG_TEST_QUERY needs), then finish.
    await asAdmin(`GRANT SELECT ON ${TABLE} TO scenario3_finish`);
    const pending = versionWith(await stack.stages(name), 'AWSPENDING');
    const finish = await stack.cli(['repair', name, '--finish', '--yes'], PG_ENV);
    expect(finish.code, finish.stdout + finish.stderr).toBe(ExitCode.ok);
    expect(finish.stdout).toContain('Finished');
    expect(versionWith(await stack.stages(name), 'AWSCURRENT')).toBe(pending);
    await expectHealthyAndRotatable(name);
  });

  it('rolling back sets the target back to AWSCURRENT without the grant; after the grant the next rotation works', async () => {
    const { name, hint } = await failedRotation('scenario3_rollback');
    expect(hint).toContain(`rotation repair ${name} --rollback`);
    await expectNoUnsafeWayOut(name);

    const current = versionWith(await stack.stages(name), 'AWSCURRENT');
    const rollback = await stack.cli(['repair', name, '--rollback', '--yes'], PG_ENV);
    expect(rollback.code, rollback.stdout + rollback.stderr).toBe(ExitCode.ok);
    expect(rollback.stdout).toContain('Rolled back');
    const stages = await stack.stages(name);
    expect(versionWith(stages, 'AWSCURRENT')).toBe(current);
    expect(versionWith(stages, 'AWSPENDING')).toBeUndefined();
    expect(await logsIn(name, { stage: 'AWSCURRENT' })).toBe(true);

    await asAdmin(`GRANT SELECT ON ${TABLE} TO scenario3_rollback`);
    await expectHealthyAndRotatable(name);
  });

  it('when AWSPENDING was cleared by hand (the old blind repair), rotate explains and repair finds the working unlabelled version', async () => {
    const { name } = await failedRotation('scenario3_cleared');
    const pending = versionWith(await stack.stages(name), 'AWSPENDING') as string;
    await stack.sm.send(
      new UpdateSecretVersionStageCommand({
        SecretId: name,
        VersionStage: 'AWSPENDING',
        RemoveFromVersionId: pending,
      }),
    );
    // No AWSPENDING: RotateSecret would start, and the rotation would fail with ERR_NO_WORKING_CREDENTIAL.
    await expectStatusNotGreen(name);
    const rotationsBefore = stack.emu.rotations.length;
    const rotate = await stack.cli(['rotate', name]);
    expect(rotate.code, rotate.stdout + rotate.stderr).toBe(ExitCode.failed);
    expect(rotate.stdout).toContain(`version ${pending}, which no longer holds AWSPENDING`);
    expect(rotate.stdout).toContain(`rotation repair ${name}`);
    expect(stack.emu.rotations.length).toBe(rotationsBefore);

    await asAdmin(`GRANT SELECT ON ${TABLE} TO scenario3_cleared`);
    const look = await stack.cli(['repair', name, '--yes'], PG_ENV);
    expect(look.code, look.stdout + look.stderr).toBe(ExitCode.failed);
    expect(look.stdout).toContain(`the target accepts only unlabelled version ${pending}`);
    const finish = await stack.cli(['repair', name, '--finish', '--yes'], PG_ENV);
    expect(finish.code, finish.stdout + finish.stderr).toBe(ExitCode.ok);
    expect(versionWith(await stack.stages(name), 'AWSCURRENT')).toBe(pending);
    await expectHealthyAndRotatable(name);
  });

  it('printed no secret value in any CLI run', () => {
    expect(known.length).toBeGreaterThan(6);
    const printed = stack.cliOutput.join('\n');
    expect(printed.length).toBeGreaterThan(2000);
    expect(known.filter((value) => printed.includes(value))).toEqual([]);
  });
});
