import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRedis, waitUntil, type RedisServer } from '../../../scripts/testbed/servers.ts';
import {
  canLogin,
  connect,
  everything,
  passwordOf,
  replicasSeenBy,
  run,
  startRedisHarness,
  startSyncingReplica,
  type RedisHarness,
} from './redis-harness.ts';

const P0 = 'legacy-Pw-000000001';

async function linkUp(replica: RedisServer, password: string): Promise<boolean> {
  const [info] = await run(replica, undefined, password, [['INFO', 'replication']]);
  return String(info).includes('master_link_status:up');
}

describe('requirepass mode against a real primary and replica with config files', () => {
  let primary: RedisServer;
  let replica: RedisServer;
  let h: RedisHarness;

  beforeAll(async () => {
    primary = await startRedis({ configFile: true, requirepass: P0 });
    replica = await startRedis({
      configFile: true,
      requirepass: P0,
      masterAuth: P0,
      replicaOf: { host: primary.host, port: primary.port },
    });
    h = await startRedisHarness();
  });

  afterAll(async () => {
    await h?.close();
    await Promise.all([replica?.destroy(), primary?.destroy()]);
  });

  it('cuts every node over to the new password, keeps replication up and survives restarts; every step re-run', async () => {
    const secret = await h.createSecret(
      'redis/legacy-url',
      `redis://:${encodeURIComponent(P0)}@127.0.0.1:${primary.port}/0`,
    );
    const registered = h.register('legacy-url', { REDIS_MODE: 'requirepass' }, {}, async (event) => {
      await registered.fn.invoke(event);
    });
    const record = await h.rotate(secret, registered.arn);
    expect(record.outcome).toBe('succeeded');
    const next = passwordOf(await h.current(secret));
    for (const server of [primary, replica]) {
      expect(await canLogin(server, undefined, next)).toBe(true);
      expect(await canLogin(server, undefined, P0)).toBe(false);
    }
    expect(h.log.lines.some((line) => line.includes('requirepass cut over'))).toBe(true);

    // The replica re-authenticates to the primary with the new masterauth after a restart of either.
    await primary.restart();
    await waitUntil(() => linkUp(replica, next), {
      what: 'the replication link after the primary restart',
      timeoutMs: 10_000,
    });
    expect(await canLogin(primary, undefined, next)).toBe(true);
    expect(await canLogin(primary, undefined, P0)).toBe(false);
    // The replica's config file was rewritten too (the test bed's replica restart probes with
    // the password it was started with, so the file is checked instead of a restart).
    const replicaConfig = await readFile(replica.configFilePath ?? '', 'utf8');
    expect(replicaConfig).toMatch(/^masterauth /m);
    expect(replicaConfig).toMatch(/^requirepass /m);
    expect(replicaConfig).not.toContain(P0);
    expect(everything(h.log, h.emu.rotations)).not.toContain(next);
    expect(everything(h.log, h.emu.rotations)).not.toContain(P0);
  });

  it('refuses when no known password opens the primary, changing nothing', async () => {
    const current = passwordOf(await h.current('redis/legacy-url'));
    const secret = await h.createSecret(
      'redis/legacy-wrong',
      JSON.stringify({
        host: '127.0.0.1',
        port: primary.port,
        password: 'not-the-password-1',
        mode: 'requirepass',
      }),
    );
    const { arn } = h.register('legacy-wrong');
    const record = await h.rotate(secret, arn);
    expect(record.outcome).toBe('failed');
    expect(record.steps.find((s) => !s.ok)?.error?.code).toBe('ERR_NO_WORKING_CREDENTIAL');
    expect(await canLogin(primary, undefined, current)).toBe(true);
  });
});

describe('requirepass mode with a replica still in its full sync', () => {
  let primary: RedisServer;
  let replica: RedisServer | undefined;
  let h: RedisHarness;

  beforeAll(async () => {
    primary = await startRedis({ requirepass: P0 });
    h = await startRedisHarness();
  });

  afterAll(async () => {
    await h?.close();
    await Promise.all([replica?.destroy(), primary?.destroy()]);
  });

  it('cuts over the replica the primary does not list in ROLE yet, and its new masterauth opens the link', async () => {
    const syncing = await startSyncingReplica(primary, P0);
    replica = syncing.replica;
    expect(await replicasSeenBy(primary, P0)).toEqual({ role: 0, info: ['wait_bgsave'] });
    const secret = await h.createSecret(
      'redis/legacy-syncing',
      JSON.stringify({ host: '127.0.0.1', port: primary.port, password: P0, mode: 'requirepass' }),
    );
    const { arn } = h.register('legacy-syncing');
    expect((await h.rotate(secret, arn)).outcome).toBe('succeeded');
    const next = passwordOf(await h.current(secret));
    expect(await canLogin(replica, undefined, next)).toBe(true);
    expect(await canLogin(replica, undefined, P0)).toBe(false);
    await syncing.releaseSync(next, next);
    // A fresh link authenticates with the new masterauth.
    await run(replica, undefined, next, [['CLIENT', 'KILL', 'TYPE', 'master']]);
    await waitUntil(() => linkUp(replica as RedisServer, next), {
      what: 'the replication link with the new masterauth',
      timeoutMs: 10_000,
    });
  });
});

describe('requirepass mode over TLS', () => {
  let server: RedisServer;
  let h: RedisHarness;

  beforeAll(async () => {
    server = await startRedis({ tls: true, requirepass: P0 });
    h = await startRedisHarness();
  });

  afterAll(async () => {
    await h?.close();
    await server?.destroy();
  });

  it('rotates a rediss:// secret, verifying the server certificate against the configured CA', async () => {
    const secret = await h.createSecret('redis/tls', `rediss://:${P0}@localhost:${server.port}`);
    const { arn } = h.register('tls', {
      REDIS_MODE: 'requirepass',
      REDIS_TLS_CA_FILE: server.tls?.caPath ?? '',
    });
    const record = await h.rotate(secret, arn);
    expect(record.outcome).toBe('succeeded');
    const next = passwordOf(await h.current(secret));
    expect(await canLogin(server, undefined, next)).toBe(true);
    expect(await canLogin(server, undefined, P0)).toBe(false);
    expect(h.log.lines.some((line) => line.includes('no ACL file and no config file'))).toBe(true);
  });

  it('closes the sessions opened with the old password in an emergency', async () => {
    const current = passwordOf(await h.current('redis/tls'));
    const held = await connect(server, undefined, current);
    await h.tag('redis/tls', { RotationMode: 'emergency' });
    const { arn } = h.register('tls-emergency', {
      REDIS_MODE: 'requirepass',
      REDIS_TLS_CA_FILE: server.tls?.caPath ?? '',
    });
    expect((await h.rotate('redis/tls', arn)).outcome).toBe('succeeded');
    const next = passwordOf(await h.current('redis/tls'));
    await expect(held.ping()).rejects.toThrow();
    held.disconnect();
    expect(await canLogin(server, undefined, current)).toBe(false);
    expect(await canLogin(server, undefined, next)).toBe(true);
  });

  it('fails with ERR_TARGET_TLS, changing nothing, when the CA is not trusted', async () => {
    const current = passwordOf(await h.current('redis/tls'));
    const secret = await h.createSecret(
      'redis/tls-untrusted',
      `rediss://:${encodeURIComponent(current)}@localhost:${server.port}`,
    );
    const { arn } = h.register('tls-untrusted', { REDIS_MODE: 'requirepass' });
    const record = await h.rotate(secret, arn);
    expect(record.outcome).toBe('failed');
    expect(record.steps.find((s) => !s.ok)?.error?.code).toBe('ERR_TARGET_TLS');
    expect(await canLogin(server, undefined, current)).toBe(true);
  });
});
