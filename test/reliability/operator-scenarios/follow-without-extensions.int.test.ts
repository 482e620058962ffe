import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ExitCode } from '../../../scripts/cli/exit-code.ts';
import { run } from '../../functions/postgres/postgres-harness.ts';
import { plainBase64Key } from '../../functions/jwt/jwt-fixtures.ts';
import { latch, startScenarioStack, type ScenarioStack } from './scenario-stack.ts';

/**
 * Issue 13, scenario 6: against real AWS the CLI used to show one frozen line, then
 * FollowTimeout, with no step, no error and no pointer to the function's logs. Here the
 * emulator answers only what AWS offers (`extensions: false`: its /_emulator/* records are
 * 404), the built zips rotate, and the packaged CLI follows with its defaults, as against
 * AWS. Asserted: a line per step from the function's progress tags, the failed step with its
 * ERR_* code, and on failure and on timeout the function's log group and the exact
 * `aws logs tail` command.
 */
const servers = inject('servers');
const TABLE = 'scenario6_orders';
let stack: ScenarioStack;
const known: string[] = [];

beforeAll(async () => {
  stack = await startScenarioStack({
    kinds: ['jwt', 'postgres'],
    env: {
      postgres: {
        PG_TEST_QUERY: `SELECT count(*) FROM ${TABLE}`,
        PG_CONNECT_TIMEOUT_MS: '3000',
        PG_STATEMENT_TIMEOUT_MS: '5000',
      },
    },
    emulator: { extensions: false },
  });
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

/** The per-step lines the CLI printed (stderr) for one secret: "createSecret ok", "testSecret FAILED ...". */
function stepLines(stderr: string, name: string): string[] {
  return stderr
    .split('\n')
    .filter((line) => line.includes(name) && /(create|set|test|finish)Secret\s+(ok|FAILED)/.test(line))
    .map((line) =>
      line
        .replace(/^\s*\S+\s+/, '')
        .replace(/\s+/g, ' ')
        .trim(),
    );
}

describe('rotate against an endpoint with only what AWS offers (scenario 6)', () => {
  it('is AWS-like: the emulator answers none of its own endpoints', async () => {
    const response = await fetch(`${stack.emu.endpoint}/_emulator/rotations?secretId=x`);
    expect(response.status).toBe(404);
  });

  it('shows every step of a successful rotation from the progress tags', async () => {
    const key = plainBase64Key();
    known.push(key);
    const name = 'scenario6/jwt-ok';
    await stack.createSecret(name, key);
    const run = await stack.cli([
      'rotate',
      name,
      '--rotation-lambda-arn',
      stack.functionArn('jwt'),
      '--interval-ms',
      '100',
    ]);
    expect(run.code, run.stdout + run.stderr).toBe(ExitCode.ok);
    expect(stepLines(run.stderr, name)).toEqual([
      'createSecret ok',
      'setSecret ok',
      'testSecret ok',
      'finishSecret ok',
    ]);
    expect(run.stdout).toMatch(new RegExp(`OK\\s+${name}: rotation succeeded`));
    known.push(await stack.value(name));
  });

  it('names the failed step, its error code, the log group and the tail command when a rotation fails', async () => {
    const initial = 'Scenario6-single-initial-Pw';
    known.push(initial);
    await asAdmin('DROP ROLE IF EXISTS scenario6_single');
    await asAdmin(`CREATE ROLE scenario6_single LOGIN PASSWORD '${initial}'`);
    const name = 'scenario6/pg-single';
    const arn = await stack.createSecret(name, {
      engine: 'postgres',
      host: '127.0.0.1',
      port: servers.postgres.port,
      username: 'scenario6_single',
      password: initial,
      dbname: 'postgres',
      ssl: false,
    });
    const run = await stack.cli([
      'rotate',
      name,
      '--rotation-lambda-arn',
      stack.functionArn('postgres'),
      '--interval-ms',
      '100',
    ]);
    expect(run.code, run.stdout + run.stderr).toBe(ExitCode.failed);
    const lines = stepLines(run.stderr, name);
    expect(lines.slice(0, 2)).toEqual(['createSecret ok', 'setSecret ok']);
    expect(lines[2]).toMatch(/^testSecret FAILED ERR_TEST_FAILED/);
    expect(run.stdout).toMatch(
      new RegExp(`FAILED\\s+${name}: rotation failed at testSecret .*ERR_TEST_FAILED`),
    );
    expect(run.stdout).toContain('logs: /aws/lambda/postgres-zip');
    expect(run.stdout).toMatch(
      /aws logs tail \/aws\/lambda\/postgres-zip --since \d+m --follow --region us-east-1\n/,
    );
    // What the log group would hold (here: the zip's own output): the failure, with its code.
    expect(
      stack.logsOf('postgres', arn).filter((line) => line.includes('ERR_TEST_FAILED')).length,
    ).toBeGreaterThan(0);
    known.push(JSON.parse(await stack.value(name, { stage: 'AWSPENDING' })).password as string);
  });

  it('names the step it last saw, the log group and the tail command when following times out', async () => {
    const key = plainBase64Key();
    known.push(key);
    const name = 'scenario6/jwt-held';
    await stack.createSecret(name, key);
    const hold = latch();
    const held = stack.gated('jwt', 'jwt-held-at-setsecret', {
      before: async (event) => {
        if (event.Step === 'setSecret') await hold.wait;
      },
    });
    try {
      const run = await stack.cli([
        'rotate',
        name,
        '--rotation-lambda-arn',
        held,
        '--interval-ms',
        '100',
        '--timeout',
        '3',
      ]);
      expect(run.code, run.stdout + run.stderr).toBe(ExitCode.failed);
      expect(stepLines(run.stderr, name)).toEqual(['createSecret ok']);
      expect(run.stdout).toMatch(
        new RegExp(`FAILED\\s+${name}: rotation failed at setSecret .*FollowTimeout: no outcome after 3 s`),
      );
      expect(run.stdout).toContain('logs: /aws/lambda/jwt-held-at-setsecret');
      expect(run.stdout).toMatch(/aws logs tail \/aws\/lambda\/jwt-held-at-setsecret --since \d+m --follow/);
      expect(run.stdout).toContain(`rotation follow ${name}`);
    } finally {
      hold.release();
    }
    expect((await stack.emu.waitForRotation(name)).outcome).toBe('succeeded');
    known.push(await stack.value(name));
  });

  it('printed no secret value in any CLI run', () => {
    const printed = stack.cliOutput.join('\n');
    expect(printed.length).toBeGreaterThan(1000);
    expect(known.filter((value) => printed.includes(value))).toEqual([]);
  });
});
