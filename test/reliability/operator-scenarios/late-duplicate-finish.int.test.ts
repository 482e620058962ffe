import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ExitCode } from '../../../scripts/cli/exit-code.ts';
import { EMERGENCY_STAGE } from '../../../shared/rotation-progress.ts';
import { keyringPrivateFragments, keyringSecret } from '../../functions/jwt/jwt-fixtures.ts';
import { signWithKeyring, verifiesWithKeyring } from '../../functions/jwt/jwt-verifiers.ts';
import { canLogin, credentialsOf, run } from '../../functions/postgres/postgres-harness.ts';
import { linesWith, startScenarioStack, versionWith, type ScenarioStack } from './scenario-stack.ts';

/**
 * Issue 13, scenario 1: after a completed rotation the operator tags RotationMode=emergency,
 * and a late duplicate finishSecret of the last completed token arrives (the service does
 * deliver duplicates). It must consume nothing: no finishing hook for a version that never
 * was an emergency one (for alternating PostgreSQL that hook scrambles the login that did
 * not leak), the tag stays. The operator's rotation then runs as an emergency: the leaked
 * JWT keys are gone from AWSCURRENT's keyring, the leaked PostgreSQL clone login is refused.
 * Built jwt.zip and postgres.zip in the emulator, the packaged CLI, the test bed's PostgreSQL.
 */
const servers = inject('servers');
const pgServer = { port: servers.postgres.port } as const;
let stack: ScenarioStack;
const known: string[] = [];

beforeAll(async () => {
  stack = await startScenarioStack({
    kinds: ['jwt', 'postgres'],
    env: { postgres: { PG_CONNECT_TIMEOUT_MS: '3000', PG_STATEMENT_TIMEOUT_MS: '5000' } },
  });
}, 180_000);

afterAll(async () => {
  await stack?.close();
});

/** One statement as the test bed's admin (arranging only; the function logs in on its own). */
async function asAdmin(sql: string): Promise<void> {
  await run(servers.postgres, servers.postgres.adminUser, servers.postgres.adminPassword, [sql]);
}

const EMERGENCY_DONE = 'Emergency rotation complete: revoked the old credential';

/** What a late duplicate finishSecret may not change: labels, tags (progress included). */
async function snapshot(secretId: string) {
  return { stages: await stack.stages(secretId), tags: await stack.tags(secretId) };
}

describe('a late duplicate finishSecret after the operator tags an emergency (scenario 1)', () => {
  it('JWT keyring: consumes nothing, then the emergency rotation drops every leaked key', async () => {
    const seed = await keyringSecret([
      { kid: 'late-dup-current', status: 'current', alg: 'HS256' },
      { kid: 'late-dup-next', status: 'next', alg: 'HS256' },
    ]);
    known.push(...seed.materials);
    const secretId = await stack.createSecret('scenario1/jwt-keyring', seed.value);
    const scheduled = await stack.rotate(secretId, stack.functionArn('jwt'));
    expect(scheduled.outcome).toBe('succeeded');
    const completedToken = scheduled.token;
    const leakedKeyring = await stack.value(secretId);
    known.push(...keyringPrivateFragments(leakedKeyring));
    const leakedKids = (JSON.parse(leakedKeyring) as { keys: { kid: string }[] }).keys.map((k) => k.kid);
    const leakedToken = await signWithKeyring(leakedKeyring);

    // The operator learns the key leaked and asks for an emergency rotation.
    await stack.tag(secretId, { RotationMode: 'emergency' });
    const before = await snapshot(secretId);
    const late = await stack.invokeStep('jwt', {
      Step: 'finishSecret',
      SecretId: secretId,
      ClientRequestToken: completedToken,
    });
    expect(late).toEqual({ ok: true });
    expect(await snapshot(secretId)).toEqual(before);
    expect(before.tags['RotationMode']).toBe('emergency');
    expect(versionWith(before.stages, 'AWSPREVIOUS')).toBeDefined();
    expect(linesWith(stack.logsOf('jwt', secretId), /^Emergency rotation complete/)).toEqual([]);

    const rotated = await stack.cli(['rotate', secretId]);
    expect(rotated.code, rotated.stdout + rotated.stderr).toBe(ExitCode.ok);
    const emergencyKeyring = await stack.value(secretId);
    known.push(...keyringPrivateFragments(emergencyKeyring));
    const kids = (JSON.parse(emergencyKeyring) as { keys: { kid: string }[] }).keys.map((k) => k.kid);
    expect(kids.filter((kid) => leakedKids.includes(kid))).toEqual([]);
    expect(await verifiesWithKeyring(leakedToken, emergencyKeyring)).toBe(false);
    const after = await stack.stages(secretId);
    expect(versionWith(after, 'AWSPREVIOUS')).toBeUndefined();
    expect(versionWith(after, EMERGENCY_STAGE)).toBeUndefined();
    expect((await stack.tags(secretId))['RotationMode']).toBeUndefined();
    // The log names exactly what was revoked: the old version's label and every leaked kid.
    const done = linesWith(stack.logsOf('jwt', secretId), EMERGENCY_DONE);
    expect(done.map((line) => line['revoked'])).toEqual([
      [
        `AWSPREVIOUS label of version ${completedToken}`,
        `signing keys ${leakedKids.join(', ')} (no longer in any labelled version)`,
      ],
    ]);
  });

  it('PostgreSQL alternating users: scrambles nothing, then the emergency rotation refuses the leaked clone login', async () => {
    const adminArn = await stack.createSecret('scenario1/pg-admin', {
      engine: 'postgres',
      host: '127.0.0.1',
      port: servers.postgres.port,
      username: servers.postgres.adminUser,
      password: servers.postgres.adminPassword,
      ssl: false,
    });
    const initial = 'Scenario1-alt-initial-Pw';
    known.push(initial);
    await asAdmin(`CREATE ROLE scenario1_alt LOGIN PASSWORD '${initial}'`);
    const secretId = await stack.createSecret('scenario1/pg-alternating', {
      engine: 'postgres',
      host: '127.0.0.1',
      port: servers.postgres.port,
      username: 'scenario1_alt',
      password: initial,
      dbname: 'postgres',
      masterarn: adminArn,
      ssl: false,
    });
    const scheduled = await stack.rotate(secretId, stack.functionArn('postgres'));
    expect(scheduled.outcome, JSON.stringify(scheduled.steps.filter((s) => !s.ok))).toBe('succeeded');
    const leaked = credentialsOf(await stack.value(secretId));
    const notLeaked = credentialsOf(await stack.value(secretId, { stage: 'AWSPREVIOUS' }));
    known.push(leaked.password);
    expect(leaked.username).toBe('scenario1_alt_clone');
    expect(notLeaked.username).toBe('scenario1_alt');

    await stack.tag(secretId, { RotationMode: 'emergency' });
    const before = await snapshot(secretId);
    const late = await stack.invokeStep('postgres', {
      Step: 'finishSecret',
      SecretId: secretId,
      ClientRequestToken: scheduled.token,
    });
    expect(late).toEqual({ ok: true });
    expect(await snapshot(secretId)).toEqual(before);
    // The login that never leaked was not scrambled; the leaked one still works (nothing revoked yet).
    expect(await canLogin(pgServer, notLeaked.username, notLeaked.password)).toBe(true);
    expect(await canLogin(pgServer, leaked.username, leaked.password)).toBe(true);
    expect(linesWith(stack.logsOf('postgres', secretId), /^Emergency rotation/)).toEqual([]);

    const rotated = await stack.cli(['rotate', secretId]);
    expect(rotated.code, rotated.stdout + rotated.stderr).toBe(ExitCode.ok);
    const now = credentialsOf(await stack.value(secretId));
    known.push(now.password);
    expect(now.username).toBe('scenario1_alt');
    expect(await canLogin(pgServer, now.username, now.password)).toBe(true);
    expect(await canLogin(pgServer, leaked.username, leaked.password)).toBe(false);
    expect(await canLogin(pgServer, notLeaked.username, notLeaked.password)).toBe(false);
    expect((await stack.tags(secretId))['RotationMode']).toBeUndefined();
    const done = linesWith(stack.logsOf('postgres', secretId), EMERGENCY_DONE);
    expect(done).toHaveLength(1);
    expect(done[0]?.['revoked']).toEqual([
      expect.stringMatching(
        /^password of login "scenario1_alt_clone" on 127\.0\.0\.1 \(replaced by an unstored random one; \d+ session\(s\) terminated\)$/,
      ),
    ]);
  });

  it('prints no key or password, in any CLI output or function log line', () => {
    const text = [...stack.cliOutput, ...stack.logs('jwt'), ...stack.logs('postgres')].join('\n');
    expect(known.length).toBeGreaterThan(6);
    for (const value of known) expect(text).not.toContain(value);
  });
});
