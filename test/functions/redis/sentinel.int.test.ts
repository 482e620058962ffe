import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { PutSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRecordingListener } from '../../../scripts/testbed/recording-listener.ts';
import {
  startRedis,
  startRedisSentinels,
  waitUntil,
  type RedisSentinels,
  type RedisServer,
} from '../../../scripts/testbed/servers.ts';
import {
  canLogin,
  everything,
  passwordOf,
  replayRotation,
  run,
  startRedisHarness,
  type RedisHarness,
} from './redis-harness.ts';

// Redis Sentinel on real processes: a primary and two replicas (ACL files; the default user is
// the operators' admin and the replication user, masterauth on every node so any can be
// demoted), three sentinels that authenticate to the data nodes as the rotated ACL user
// (`sentinel auth-user`/`auth-pass`) and have a password of their own.
const ADMIN = 'sentinel-admin-Pw-0001';
const SENTINEL_PW = 'sentinel-own-Pw-00001';
const USER = 'app';
const P0 = 'app-initial-Pw-000001';

/** Succeeded, or the failed step's code and message in the assertion. */
function expectSucceeded(record: {
  outcome: string;
  steps: { ok: boolean; step: string; error?: { code?: string; message?: string } }[];
}): void {
  const failed = record.steps.find((s) => !s.ok);
  expect(
    failed === undefined ? record.outcome : `${failed.step}: ${failed.error?.code} ${failed.error?.message}`,
  ).toBe('succeeded');
}

const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

describe('ACL-user mode through Redis Sentinel', () => {
  let nodes: RedisServer[];
  let sentinels: RedisSentinels;
  let h: RedisHarness;
  let primaryPort: number;

  const secretValue = (extra: Record<string, unknown> = {}) => ({
    sentinels: sentinels.sentinels.map((s) => `${s.host}:${s.port}`),
    sentinelMaster: sentinels.masterName,
    sentinelPassword: SENTINEL_PW,
    sentinelAuthPass: true,
    username: USER,
    password: P0,
    ...extra,
  });

  const sentinelConfigs = (): string[] => sentinels.sentinels.map((s) => readFileSync(s.configPath, 'utf8'));

  /** The primary says master; every other node says replica with its link up (after a failover too). */
  async function roleSettled(server: RedisServer): Promise<boolean> {
    const [info] = await run(server, undefined, ADMIN, [['INFO', 'replication']]);
    const text = String(info);
    if (server.port === primaryPort) return /role:master/.test(text);
    return (
      /role:slave/.test(text) &&
      text.includes(`master_port:${primaryPort}`) &&
      text.includes('master_link_status:up')
    );
  }

  /** Every running sentinel sees the primary and both replicas; every node has settled in its role. */
  async function healthy(): Promise<void> {
    await sentinels.waitAgreed(primaryPort, 2);
    for (const server of nodes)
      await waitUntil(async () => await roleSettled(server), {
        what: `node ${server.port} to settle as ${server.port === primaryPort ? 'primary' : 'replica'}`,
        timeoutMs: 30_000,
      });
  }

  beforeAll(async () => {
    const primary = await startRedis({
      backend: 'local',
      aclFile: true,
      requirepass: ADMIN,
      masterAuth: ADMIN,
    });
    const replicas = [];
    for (let i = 0; i < 2; i += 1)
      replicas.push(
        await startRedis({
          backend: 'local',
          aclFile: true,
          requirepass: ADMIN,
          masterAuth: ADMIN,
          replicaOf: { host: primary.host, port: primary.port },
        }),
      );
    nodes = [primary, ...replicas];
    primaryPort = primary.port;
    for (const server of nodes)
      await run(server, undefined, ADMIN, [
        ['ACL', 'SETUSER', USER, 'reset', 'on', `>${P0}`, '~*', '&*', '+@all'],
        ['ACL', 'SAVE'],
      ]);
    sentinels = await startRedisSentinels({
      primary,
      authUser: USER,
      authPass: P0,
      requirepass: SENTINEL_PW,
      replicas: 2,
    });
    h = await startRedisHarness({ rotationRetries: 0 });
  });

  afterAll(async () => {
    await h?.close();
    await sentinels?.destroy();
    await Promise.all((nodes ?? []).map((n) => n.destroy()));
  });

  it('finds the primary and both replicas through three sentinels and moves every sentinel to the new password', async () => {
    const secret = await h.createSecret('redis/sentinel-basic', secretValue());
    const { arn } = h.register('sentinel-basic');
    const record = await h.rotate(secret, arn);
    expectSucceeded(record);
    const current = await h.current(secret);
    const next = passwordOf(current);
    expect(next).not.toBe(P0);
    // Every data node: new and previous (zero downtime); the secret still names no host.
    for (const server of nodes) {
      expect(await canLogin(server, USER, next)).toBe(true);
      expect(await canLogin(server, USER, P0)).toBe(true);
    }
    expect(JSON.parse(current)).not.toHaveProperty('host');
    expect(new Set((JSON.parse(current) as { knownNodes: string[] }).knownNodes)).toEqual(
      new Set(nodes.map((n) => `127.0.0.1:${n.port}`)),
    );
    // Every sentinel holds the new password (it rewrote its config) and none the one before.
    for (const text of sentinelConfigs()) {
      expect(text).toContain(next);
      expect(text).not.toContain(P0);
    }
    await healthy();
    expect(everything(h.log, h.emu.rotations)).not.toContain(next);

    // The next rotation drops P0 from the data nodes; the sentinels keep monitoring.
    expectSucceeded(await h.rotate(secret, arn));
    for (const server of nodes) expect(await canLogin(server, USER, P0)).toBe(false);
    await healthy();
  });

  it('finds the new primary after a sentinel failover between two rotations', async () => {
    // A user of its own, which the sentinels do not log in as.
    const user = 'failover_app';
    const start = 'failover-app-Pw-000001';
    for (const server of nodes)
      await run(server, undefined, ADMIN, [
        ['ACL', 'SETUSER', user, 'reset', 'on', `>${start}`, '~*', '&*', '+@all'],
        ['ACL', 'SAVE'],
      ]);
    const secret = await h.createSecret(
      'redis/sentinel-failover',
      secretValue({ username: user, password: start, sentinelAuthPass: false }),
    );
    const { arn } = h.register('sentinel-failover');
    expectSucceeded(await h.rotate(secret, arn));
    const before = primaryPort;
    primaryPort = await sentinels.failover();
    expect(primaryPort).not.toBe(before);
    await healthy();

    const record = await h.rotate(secret, arn);
    expectSucceeded(record);
    expect(
      h.log.lines.some(
        (l) =>
          l.includes('Found the Redis primary through the sentinels') &&
          l.includes(`127.0.0.1:${primaryPort}`),
      ),
    ).toBe(true);
    const next = passwordOf(await h.current(secret));
    for (const server of nodes) expect(await canLogin(server, user, next)).toBe(true);
    // The sentinels use the other user: their auth-pass was left alone.
    for (const text of sentinelConfigs()) expect(text).not.toContain(next);
    await healthy();
  });

  it('stops an emergency rotation while a sentinel is down, and leaves the leaked password nowhere once it is back', async () => {
    const secret = await h.createSecret('redis/sentinel-emergency', secretValue());
    const { arn, fn } = h.register('sentinel-emergency');
    // Bring the secret to what the data nodes and sentinels hold now (earlier tests rotated USER).
    const seeded = await seedWithCurrent(secret);
    const leaked = seeded;
    const [down] = sentinels.sentinels;
    if (down === undefined) throw new Error('no sentinel');
    await down.stop();
    await h.tag(secret, { RotationMode: 'emergency' });
    const record = await h.rotate(secret, arn);
    expect(record.outcome).toBe('failed');
    const failed = record.steps.find((s) => !s.ok);
    expect(failed?.step).toBe('setSecret');
    expect(failed?.error?.code).toBe('ERR_TARGET_UNREACHABLE');
    expect(failed?.error?.message).toContain(`127.0.0.1:${down.port}`);
    for (const server of nodes) expect(await canLogin(server, USER, leaked)).toBe(true); // nothing changed

    await down.start();
    await healthy();
    await replayRotation(fn, secret, record.token);
    const next = passwordOf(await h.current(secret));
    expect(next).not.toBe(leaked);
    for (const server of nodes) {
      expect(await canLogin(server, USER, leaked)).toBe(false);
      expect(await canLogin(server, USER, next)).toBe(true);
      expect(readFileSync(server.aclFilePath as string, 'utf8')).not.toContain(sha256(leaked));
    }
    for (const text of sentinelConfigs()) {
      expect(text).not.toContain(leaked);
      expect(text).toContain(next);
    }
    await healthy();
  });

  it('stops an emergency rotation while a replica the sentinels list is down', async () => {
    const secret = await h.createSecret('redis/sentinel-emergency-replica', secretValue());
    const { arn, fn } = h.register('sentinel-emergency-replica');
    const leaked = await seedWithCurrent(secret);
    const replica = nodes.find((n) => n.port !== primaryPort) as RedisServer;
    await replica.stop();
    await h.tag(secret, { RotationMode: 'emergency' });
    const record = await h.rotate(secret, arn);
    expect(record.outcome).toBe('failed');
    const failed = record.steps.find((s) => !s.ok);
    expect(failed?.step).toBe('setSecret');
    expect(failed?.error?.code).toBe('ERR_TARGET_UNREACHABLE');
    expect(failed?.error?.message).toContain(`127.0.0.1:${replica.port}`);
    for (const text of sentinelConfigs()) expect(text).toContain(leaked); // nothing changed

    await replica.start();
    await healthy();
    await replayRotation(fn, secret, record.token);
    const next = passwordOf(await h.current(secret));
    for (const server of nodes) {
      expect(await canLogin(server, USER, leaked)).toBe(false);
      expect(await canLogin(server, USER, next)).toBe(true);
    }
    for (const text of sentinelConfigs()) expect(text).not.toContain(leaked);
    await healthy();
  });

  it('rotates with one sentinel of three down, warns, and sets it again at the next rotation', async () => {
    const secret = await h.createSecret('redis/sentinel-one-down', secretValue());
    const { arn } = h.register('sentinel-one-down');
    const before = await seedWithCurrent(secret);
    const down = sentinels.sentinels[1];
    if (down === undefined) throw new Error('no sentinel');
    await down.stop();
    expectSucceeded(await h.rotate(secret, arn));
    expect(
      h.log.lines.some((l) => l.includes('Sentinels that cannot be reached') && l.includes(`${down.port}`)),
    ).toBe(true);
    const next = passwordOf(await h.current(secret));
    expect(readFileSync(down.configPath, 'utf8')).toContain(before); // it missed the change
    await down.start();
    await healthy();
    expectSucceeded(await h.rotate(secret, arn));
    const after = passwordOf(await h.current(secret));
    for (const text of sentinelConfigs()) expect(text).toContain(after);
    for (const server of nodes) expect(await canLogin(server, USER, next)).toBe(true);
    await healthy();
  });

  it('refuses with ERR_TARGET_UNSAFE, changing nothing, when the sentinels disagree on the primary', async () => {
    const other = await startRedis({ backend: 'local', requirepass: ADMIN });
    const stray = await startRedisSentinels({
      primary: other,
      count: 1,
      authPass: ADMIN,
      requirepass: SENTINEL_PW,
    });
    try {
      const secret = await h.createSecret('redis/sentinel-disagree', secretValue());
      const current = await seedWithCurrent(secret);
      const value = JSON.parse(await h.current(secret)) as { sentinels: string[] };
      const [lone] = stray.sentinels;
      await h.sm.send(
        new PutSecretValueCommand({
          SecretId: secret,
          SecretString: JSON.stringify({
            ...value,
            sentinels: [...value.sentinels, `${lone?.host}:${lone?.port}`],
          }),
        }),
      );
      const { arn } = h.register('sentinel-disagree');
      const record = await h.rotate(secret, arn);
      expect(record.outcome).toBe('failed');
      const failed = record.steps.find((s) => !s.ok);
      expect(failed?.step).toBe('setSecret');
      expect(failed?.error?.code).toBe('ERR_TARGET_UNSAFE');
      expect(failed?.error?.message).toContain('disagree');
      for (const server of nodes) expect(await canLogin(server, USER, current)).toBe(true);
      expect(await canLogin(other, USER, current)).toBe(false);
    } finally {
      await stray.destroy();
      await other.destroy();
    }
  });

  it('refuses, before sending anything anywhere, a user secret listing a sentinel the admin secret does not', async () => {
    const listener = await startRecordingListener();
    try {
      const victim = 'victim';
      const start = 'victim-initial-Pw-0001';
      for (const server of nodes)
        await run(server, undefined, ADMIN, [
          ['ACL', 'SETUSER', victim, 'reset', 'on', `>${start}`, '~*', '&*', '+@all', '-@admin'],
        ]);
      const listed = sentinels.sentinels.map((s) => `${s.host}:${s.port}`);
      const adminArn = await h.createSecret('redis/sentinel-admin', {
        sentinels: listed,
        sentinelMaster: sentinels.masterName,
        sentinelPassword: SENTINEL_PW,
        password: ADMIN,
      });
      const hostile = {
        sentinels: [listed[0], `${listener.host}:${listener.port}`],
        sentinelMaster: sentinels.masterName,
        username: victim,
        password: start,
        adminSecretArn: adminArn,
      };
      const secret = await h.createSecret('redis/sentinel-hostile', hostile);
      const { arn } = h.register('sentinel-hostile');
      const record = await h.rotate(secret, arn);
      const failed = record.steps.find((step) => !step.ok);
      expect(record.outcome).toBe('failed');
      expect(failed?.step).toBe('setSecret');
      expect(failed?.error?.code).toBe('ERR_TARGET_NOT_ALLOWED');
      expect(failed?.error?.message).toContain(`${listener.host}:${listener.port}`);
      expect(listener.connections()).toBe(0);
      expect(listener.received().length).toBe(0);
      expect(JSON.parse(await h.current(secret))).toMatchObject({ password: start });
      for (const server of nodes) expect(await canLogin(server, victim, start)).toBe(true);
      expect(everything(h.log, h.emu.rotations)).not.toContain(ADMIN);
      expect(everything(h.log, h.emu.rotations)).not.toContain(SENTINEL_PW);

      // The same user secret with the admin's own sentinels rotates, through the admin.
      const honest = await h.createSecret('redis/sentinel-honest', {
        ...hostile,
        sentinels: listed.slice(1),
      });
      const ok = h.register('sentinel-honest');
      expectSucceeded(await h.rotate(honest, ok.arn));
      const next = passwordOf(await h.current(honest));
      for (const server of nodes) expect(await canLogin(server, victim, next)).toBe(true);
      expect(listener.connections()).toBe(0);
    } finally {
      await listener.close();
    }
  });

  it('sends the new password only to sentinels that answered: a silent listener in "sentinels" gets none', async () => {
    const listener = await startRecordingListener();
    try {
      const secret = await h.createSecret('redis/sentinel-silent', secretValue());
      await seedWithCurrent(secret);
      const value = JSON.parse(await h.current(secret)) as { sentinels: string[] };
      await h.sm.send(
        new PutSecretValueCommand({
          SecretId: secret,
          SecretString: JSON.stringify({
            ...value,
            sentinels: [...value.sentinels, `${listener.host}:${listener.port}`],
          }),
        }),
      );
      const { arn } = h.register('sentinel-silent');
      expectSucceeded(await h.rotate(secret, arn));
      const next = passwordOf(await h.current(secret));
      expect(listener.connections()).toBeGreaterThan(0); // asked as a sentinel (it never answers)
      expect(listener.saw(next)).toBe(false);
      expect(listener.saw(SENTINEL_PW)).toBe(true); // the secret's own sentinel credential, sent to its own list
      for (const text of sentinelConfigs()) expect(text).toContain(next);
      await healthy();
    } finally {
      await listener.close();
    }
  });

  /** Point the secret at the password USER has now (the last AWSCURRENT of any earlier test). */
  async function seedWithCurrent(secret: string): Promise<string> {
    const password = `seed-${Math.random().toString(36).slice(2)}-Pw-01`;
    for (const server of nodes)
      await run(server, undefined, ADMIN, [
        ['ACL', 'SETUSER', USER, 'resetpass', `>${password}`],
        ['ACL', 'SAVE'],
      ]);
    for (const sentinel of sentinels.sentinels)
      await run({ port: sentinel.port }, undefined, SENTINEL_PW, [
        ['SENTINEL', 'SET', sentinels.masterName, 'auth-pass', password],
      ]);
    await h.sm.send(
      new PutSecretValueCommand({
        SecretId: secret,
        SecretString: JSON.stringify(secretValue({ password })),
      }),
    );
    await healthy();
    return password;
  }
});

describe('requirepass mode through Redis Sentinel', () => {
  const R0 = 'requirepass-sentinel-Pw-1';
  let primary: RedisServer;
  let replica: RedisServer;
  let sentinels: RedisSentinels;
  let h: RedisHarness;

  beforeAll(async () => {
    primary = await startRedis({ backend: 'local', configFile: true, requirepass: R0, masterAuth: R0 });
    replica = await startRedis({
      backend: 'local',
      configFile: true,
      requirepass: R0,
      masterAuth: R0,
      replicaOf: { host: primary.host, port: primary.port },
    });
    sentinels = await startRedisSentinels({ primary, authPass: R0, replicas: 1 });
    h = await startRedisHarness({ rotationRetries: 0 });
  });

  afterAll(async () => {
    await h?.close();
    await sentinels?.destroy();
    await Promise.all([replica?.destroy(), primary?.destroy()]);
  });

  it("moves requirepass, the replica's masterauth and every sentinel's auth-pass, and replication and monitoring stay up", async () => {
    const secret = await h.createSecret('redis/sentinel-requirepass', {
      sentinels: sentinels.sentinels.map((s) => `${s.host}:${s.port}`),
      sentinelMaster: sentinels.masterName,
      sentinelAuthPass: true,
      mode: 'requirepass',
      password: R0,
    });
    const { arn } = h.register('sentinel-requirepass');
    expectSucceeded(await h.rotate(secret, arn));
    const next = passwordOf(await h.current(secret));
    for (const server of [primary, replica]) {
      expect(await canLogin(server, undefined, next)).toBe(true);
      expect(await canLogin(server, undefined, R0)).toBe(false);
    }
    for (const s of sentinels.sentinels) {
      const text = readFileSync(s.configPath, 'utf8');
      expect(text).toContain(next);
      expect(text).not.toContain(R0);
    }
    await sentinels.waitAgreed(primary.port, 1);
    await waitUntil(
      async () => {
        const [info] = await run(replica, undefined, next, [['INFO', 'replication']]);
        return String(info).includes('master_link_status:up');
      },
      { what: 'the replica to link with its new masterauth', timeoutMs: 20_000 },
    );
    const [masterauth] = await run(replica, undefined, next, [['CONFIG', 'GET', 'masterauth']]);
    expect((masterauth as string[])[1]).toBe(next);
  });
});
