import {
  DescribeSecretCommand,
  GetSecretValueCommand,
  UpdateSecretVersionStageCommand,
} from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRedis, type RedisServer } from '../../../scripts/testbed/servers.ts';
import { FakeElastiCache } from './fake-elasticache.ts';
import {
  canLogin,
  everything,
  passwordOf,
  run,
  startRedisHarness,
  type RedisHarness,
} from './redis-harness.ts';

// A TLS Redis stands in for the cluster: the fake ElastiCache API applies each accepted
// change to it (default user = AUTH tokens, ACL users = RBAC users) once "modifying" ends.
const T0 = 'InitialAuthToken0001';
const U0 = 'InitialUserPassword01';
const ADMIN = { user: 'ecadmin', password: 'ec-admin-password-1' };

describe('ElastiCache modes against a fake API applying changes to a real TLS Redis', () => {
  let server: RedisServer;
  let h: RedisHarness;
  let fake: FakeElastiCache;
  let env: Record<string, string>;

  beforeAll(async () => {
    server = await startRedis({ tls: true, requirepass: T0 });
    await run(server, undefined, T0, [
      ['ACL', 'SETUSER', ADMIN.user, 'on', `>${ADMIN.password}`, '~*', '&*', '+@all'],
    ]);
    h = await startRedisHarness();
    fake = new FakeElastiCache(server, ADMIN, { applyAfterPolls: 2 });
    env = {
      REDIS_TLS_CA_FILE: server.tls?.caPath ?? '',
      ELASTICACHE_POLL_INTERVAL_MS: '10',
      ELASTICACHE_WAIT_TIMEOUT_MS: '5000',
      // The groups and users these tests rotate, as SAM and CDK set them (other-id stays out).
      ELASTICACHE_REPLICATION_GROUP_IDS: 'rg-main,rg-abandoned,rg-late,rg-open,rg-plain,rg-stuck',
      ELASTICACHE_USER_IDS: 'arn:aws:elasticache:us-east-1:123456789012:user:ec-app-id,ec-nohost-id,other-id',
    };
  });

  afterAll(async () => {
    await h?.close();
    await server?.destroy();
  });

  const tokenSecret = (groupId: string, password: string) =>
    JSON.stringify({
      host: 'localhost',
      port: server.port,
      tls: true,
      password,
      replicationGroupId: groupId,
    });
  const strategies = (groupId: string) =>
    fake.calls
      .filter((c) => c.operation === 'ModifyReplicationGroup' && c.id === groupId)
      .map((c) => c.strategy);

  it('ROTATEs to the new token at each rotation (the oldest of two drops out, as AWS documents), never more than two tokens, no SET once AWSPREVIOUS logs in', async () => {
    fake.addGroup({ replicationGroupId: 'rg-main', authTokenEnabled: true, tokens: [T0] });
    const secret = await h.createSecret('redis/ec-token', tokenSecret('rg-main', T0));
    const first = h.register('ec-token', env, { elastiCache: () => fake });
    expect((await h.rotate(secret, first.arn)).outcome).toBe('succeeded');
    const t1 = passwordOf(await h.current(secret));
    // With no AWSPREVIOUS yet, a SET of AWSCURRENT is tried first; a fresh group refuses it
    // (SET only after a ROTATE), which shows it holds one token, so the ROTATE is safe.
    expect(strategies('rg-main')).toEqual(['SET', 'ROTATE']);
    expect(fake.group('rg-main').tokens).toEqual([T0, t1]);
    expect(await canLogin(server, undefined, T0)).toBe(true);
    expect(await canLogin(server, undefined, t1)).toBe(true);

    // Second rotation, every step run twice: one ROTATE, no SET and no extra wait before it.
    const second = h.register('ec-token-2', env, { elastiCache: () => fake }, async (event) => {
      await second.fn.invoke(event);
    });
    expect((await h.rotate(secret, second.arn)).outcome).toBe('succeeded');
    const t2 = passwordOf(await h.current(secret));
    expect(strategies('rg-main')).toEqual(['SET', 'ROTATE', 'ROTATE']);
    expect(await canLogin(server, undefined, T0)).toBe(false);
    expect(await canLogin(server, undefined, t1)).toBe(true);
    expect(await canLogin(server, undefined, t2)).toBe(true);
    expect(fake.maxTokensSeen).toBe(2);
    for (const token of [t1, t2]) expect(token).toMatch(/^[A-Za-z0-9!&#$^<>-]{16,128}$/);
    for (const token of [T0, t1, t2]) expect(everything(h.log, h.emu.rotations)).not.toContain(token);
  });

  it('finishes an emergency rotation with SET so only the new token works', async () => {
    const current = passwordOf(await h.current('redis/ec-token'));
    await h.tag('redis/ec-token', { RotationMode: 'emergency' });
    const { arn } = h.register('ec-token-emergency', env, { elastiCache: () => fake });
    expect((await h.rotate('redis/ec-token', arn)).outcome).toBe('succeeded');
    const next = passwordOf(await h.current('redis/ec-token'));
    expect(strategies('rg-main').slice(-2)).toEqual(['ROTATE', 'SET']);
    expect(fake.group('rg-main').tokens).toHaveLength(1);
    expect(await canLogin(server, undefined, current)).toBe(false);
    expect(await canLogin(server, undefined, next)).toBe(true);
  });

  it('keeps AWSCURRENT working after a first rotation was abandoned once its ROTATE had run', async () => {
    const start = passwordOf(await h.current('redis/ec-token'));
    fake.addGroup({ replicationGroupId: 'rg-abandoned', authTokenEnabled: true, tokens: [start] });
    const secret = await h.createSecret('redis/ec-abandoned', tokenSecret('rg-abandoned', start));
    // The first rotation dies after its setSecret ROTATE: the group holds AWSCURRENT and the
    // abandoned pending token, which is the newer of the two.
    const dying = h.register('ec-abandoned-1', env, { elastiCache: () => fake }, async (event) => {
      if (event.Step === 'setSecret') throw new Error('the rotation is abandoned after setSecret');
    });
    expect((await h.rotate(secret, dying.arn)).outcome).not.toBe('succeeded');
    const { VersionIdsToStages = {} } = await h.sm.send(new DescribeSecretCommand({ SecretId: secret }));
    const strayId = Object.keys(VersionIdsToStages).find((id) =>
      VersionIdsToStages[id]?.includes('AWSPENDING'),
    );
    expect(strayId).toBeDefined();
    const pending = await h.sm.send(new GetSecretValueCommand({ SecretId: secret, VersionId: strayId }));
    const stray = passwordOf(pending.SecretString ?? '');
    expect(fake.group('rg-abandoned').tokens).toEqual([start, stray]);
    // The operator clears AWSPENDING (what repair does when AWSCURRENT logs in), then rotates.
    await h.sm.send(
      new UpdateSecretVersionStageCommand({
        SecretId: secret,
        VersionStage: 'AWSPENDING',
        RemoveFromVersionId: strayId,
      }),
    );
    const { arn } = h.register('ec-abandoned-2', env, { elastiCache: () => fake });
    expect((await h.rotate(secret, arn)).outcome).toBe('succeeded');
    const next = passwordOf(await h.current(secret));
    // ROTATE alone would have dropped the oldest token, AWSCURRENT itself: SET came first.
    expect(strategies('rg-abandoned').slice(-2)).toEqual(['SET', 'ROTATE']);
    expect(fake.group('rg-abandoned').tokens).toEqual([start, next]);
    expect(await canLogin(server, undefined, start)).toBe(true);
    expect(await canLogin(server, undefined, next)).toBe(true);
    expect(await canLogin(server, undefined, stray)).toBe(false);
  });

  it('refuses to ROTATE a group that allows access without a token', async () => {
    fake.addGroup({ replicationGroupId: 'rg-open', authTokenEnabled: false, tokens: [] });
    const value = tokenSecret('rg-open', 'SomeTokenValue000001');
    const secret = await h.createSecret('redis/ec-open', value);
    const { arn } = h.register('ec-open', env, { elastiCache: () => fake });
    const record = await h.rotate(secret, arn);
    expect(record.outcome).toBe('failed');
    expect(record.steps.find((s) => !s.ok)?.error?.code).toBe('ERR_TARGET_UNSAFE');
    expect(strategies('rg-open')).toEqual([]);
    expect(await h.current(secret)).toBe(value);
  });

  it('refuses a group without in-transit encryption, which AUTH tokens require', async () => {
    fake.addGroup({
      replicationGroupId: 'rg-plain',
      authTokenEnabled: true,
      tokens: ['PlainGroupToken00001'],
      transitEncryptionEnabled: false,
    });
    const value = tokenSecret('rg-plain', 'PlainGroupToken00001');
    const secret = await h.createSecret('redis/ec-plain', value);
    const { arn } = h.register('ec-plain', env, { elastiCache: () => fake });
    const record = await h.rotate(secret, arn);
    expect(record.steps.find((s) => !s.ok)?.error?.code).toBe('ERR_TARGET_UNSAFE');
    expect(strategies('rg-plain')).toEqual([]);
  });

  it("bounds each wait by the Lambda's remaining time, so the step fails with ERR_WAIT_TIMEOUT before Lambda kills it", async () => {
    const token = passwordOf(await h.current('redis/ec-token'));
    fake.addGroup({ replicationGroupId: 'rg-late', authTokenEnabled: true, tokens: [token] });
    const secret = await h.createSecret('redis/ec-late', tokenSecret('rg-late', token));
    const quick = h.register(
      'ec-late',
      { ...env, ELASTICACHE_WAIT_TIMEOUT_MS: '300' },
      { elastiCache: () => fake },
    );
    fake.stuck = true;
    try {
      const record = await h.rotate(secret, quick.arn);
      expect(record.steps.find((s) => !s.ok)?.error?.code).toBe('ERR_WAIT_TIMEOUT');
      // AWS's default wait (600 s) against a Lambda with 5.4 s left: the wait stops at 0.4 s.
      const { fn } = h.register(
        'ec-late-default',
        {
          REDIS_TLS_CA_FILE: env['REDIS_TLS_CA_FILE'] ?? '',
          ELASTICACHE_REPLICATION_GROUP_IDS: 'rg-late',
        },
        {
          elastiCache: () => fake,
        },
      );
      const started = Date.now();
      const lambdaDeadline = started + 5_400;
      const thrown = await fn
        .invoke(
          { Step: 'setSecret', SecretId: secret, ClientRequestToken: record.token },
          { getRemainingTimeInMillis: () => lambdaDeadline - Date.now() },
        )
        .catch((error: unknown) => error);
      expect(thrown).toMatchObject({ code: 'ERR_WAIT_TIMEOUT' });
      expect((thrown as Error).message).toContain("bounded by the Lambda function's remaining time");
      expect(Date.now()).toBeLessThan(lambdaDeadline);
    } finally {
      fake.stuck = false;
    }
  });

  it('gives up on a group stuck in modifying after the bounded wait, with a clear error', async () => {
    const token = passwordOf(await h.current('redis/ec-token'));
    fake.addGroup({ replicationGroupId: 'rg-stuck', authTokenEnabled: true, tokens: [token] });
    const secret = await h.createSecret('redis/ec-stuck', tokenSecret('rg-stuck', token));
    const { arn } = h.register(
      'ec-stuck',
      { ...env, ELASTICACHE_WAIT_TIMEOUT_MS: '300' },
      { elastiCache: () => fake },
    );
    fake.stuck = true;
    try {
      const record = await h.rotate(secret, arn);
      expect(record.outcome).toBe('failed');
      const failed = record.steps.find((s) => !s.ok);
      expect(failed?.step).toBe('setSecret');
      expect(failed?.error?.code).toBe('ERR_WAIT_TIMEOUT');
      expect(failed?.error?.message).toContain('rg-stuck');
      expect(failed?.error?.message).toContain('modifying');
      expect(failed?.durationMs).toBeLessThan(3000);
      expect(await canLogin(server, undefined, token)).toBe(true);
    } finally {
      fake.stuck = false;
    }
  });

  it('rotates an RBAC user with ModifyUser [pending, current] and drops the oldest at the next rotation', async () => {
    await run(server, ADMIN.user, ADMIN.password, [
      ['ACL', 'SETUSER', 'ec-app', 'on', `>${U0}`, '~*', '+@all'],
    ]);
    fake.addUser({ userId: 'ec-app-id', userName: 'ec-app', passwords: [U0] });
    const value = JSON.stringify({
      host: 'localhost',
      port: server.port,
      tls: true,
      username: 'ec-app',
      password: U0,
      user_arn: 'arn:aws:elasticache:us-east-1:123456789012:user:ec-app-id',
    });
    const secret = await h.createSecret('redis/ec-user', value);
    const { arn } = h.register('ec-user', env, { elastiCache: () => fake });
    expect((await h.rotate(secret, arn)).outcome).toBe('succeeded');
    const u1 = passwordOf(await h.current(secret));
    expect(await canLogin(server, 'ec-app', U0)).toBe(true);
    expect(await canLogin(server, 'ec-app', u1)).toBe(true);
    expect((await h.rotate(secret, arn)).outcome).toBe('succeeded');
    const u2 = passwordOf(await h.current(secret));
    expect(await canLogin(server, 'ec-app', U0)).toBe(false);
    expect(await canLogin(server, 'ec-app', u1)).toBe(true);
    expect(await canLogin(server, 'ec-app', u2)).toBe(true);
    const userCalls = fake.calls.filter((c) => c.id === 'ec-app-id').map((c) => c.operation);
    // Wait for active before and after each ModifyUser.
    expect(userCalls.filter((op) => op === 'ModifyUser')).toHaveLength(2);
    expect(userCalls[0]).toBe('DescribeUsers');
    expect(userCalls.at(-1)).toBe('DescribeUsers');
    expect(JSON.parse(await h.current(secret))).toMatchObject({
      user_arn: 'arn:aws:elasticache:us-east-1:123456789012:user:ec-app-id',
      username: 'ec-app',
    });
  });

  it('leaves the RBAC user only the new password in an emergency', async () => {
    const current = passwordOf(await h.current('redis/ec-user'));
    await h.tag('redis/ec-user', { RotationMode: 'emergency' });
    const { arn } = h.register('ec-user-emergency', env, { elastiCache: () => fake });
    expect((await h.rotate('redis/ec-user', arn)).outcome).toBe('succeeded');
    const next = passwordOf(await h.current('redis/ec-user'));
    expect(await canLogin(server, 'ec-app', current)).toBe(false);
    expect(await canLogin(server, 'ec-app', next)).toBe(true);
    expect(
      fake.calls.filter((c) => c.id === 'ec-app-id' && c.operation === 'ModifyUser').at(-1)?.passwordCount,
    ).toBe(1);
  });

  it("rotates AWS's own ElastiCache user secret {username, password, user_arn}: no host, the API called in the ARN's region", async () => {
    await run(server, ADMIN.user, ADMIN.password, [
      ['ACL', 'SETUSER', 'ec-nohost', 'on', `>${U0}`, '~*', '+@all'],
    ]);
    fake.addUser({ userId: 'ec-nohost-id', userName: 'ec-nohost', passwords: [U0] });
    const regions: (string | undefined)[] = [];
    const secret = await h.createSecret('redis/ec-nohost', {
      username: 'ec-nohost',
      password: U0,
      user_arn: 'arn:aws:elasticache:eu-west-1:123456789012:user:ec-nohost-id',
    });
    const { arn } = h.register('ec-nohost', env, {
      elastiCache: (_config, region) => {
        regions.push(region);
        return fake;
      },
    });
    expect((await h.rotate(secret, arn)).outcome).toBe('succeeded');
    const next = passwordOf(await h.current(secret));
    expect(regions).toEqual(['eu-west-1']);
    expect(await canLogin(server, 'ec-nohost', next)).toBe(true);
    expect(await canLogin(server, 'ec-nohost', U0)).toBe(true);
    expect(h.log.lines.some((l) => l.includes('testSecret cannot log in'))).toBe(true);
    expect(Object.keys(JSON.parse(await h.current(secret)) as object).sort()).toEqual([
      'password',
      'user_arn',
      'username',
    ]);
  });

  it('refuses a user id whose name differs from the secret username, changing nothing', async () => {
    fake.addUser({ userId: 'other-id', userName: 'someone-else', passwords: [U0] });
    const value = JSON.stringify({
      host: 'localhost',
      port: server.port,
      tls: true,
      username: 'ec-app',
      password: 'WhateverPassword0001',
      userId: 'other-id',
    });
    const secret = await h.createSecret('redis/ec-mismatch', value);
    const { arn } = h.register('ec-mismatch', env, { elastiCache: () => fake });
    const record = await h.rotate(secret, arn);
    expect(record.steps.find((s) => !s.ok)?.error?.code).toBe('ERR_SECRET_IDENTITY_CHANGED');
    expect(fake.calls.filter((c) => c.id === 'other-id' && c.operation === 'ModifyUser')).toHaveLength(0);
    expect(await h.current(secret)).toBe(value);
  });
});
