import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  startRecordingListener,
  type RecordingListener,
} from '../../../scripts/testbed/recording-listener.ts';
import { startRedis, type RedisServer } from '../../../scripts/testbed/servers.ts';
import {
  canLogin,
  everything,
  passwordOf,
  run,
  startRedisHarness,
  type RedisHarness,
} from './redis-harness.ts';

// Attack 1 of issue 14: a user secret's author points `host` or one `nodes` entry at a
// server of their own. The admin credential must go only to the admin secret's own server
// and the replicas that server reports; the hostile listener must receive nothing at all.
const ADMIN = 'Admin-Destination-Pw-7f3a9c';
const P0 = 'victim-initial-Pw-0001';

describe('Redis ACL mode sends the admin credential only where it belongs', () => {
  let primary: RedisServer;
  let replica: RedisServer;
  let listener: RecordingListener;
  let h: RedisHarness;
  let adminArn: string;

  beforeAll(async () => {
    primary = await startRedis({ aclFile: true, requirepass: ADMIN });
    replica = await startRedis({
      replicaOf: { host: primary.host, port: primary.port },
      masterAuth: ADMIN,
      requirepass: ADMIN,
    });
    listener = await startRecordingListener();
    h = await startRedisHarness({ rotationRetries: 0 });
    adminArn = await h.createSecret(
      'redis/destination-admin',
      JSON.stringify({ host: '127.0.0.1', port: primary.port, password: ADMIN }),
    );
    // The application user may not manage its own ACL: only the admin can rotate it.
    for (const server of [primary, replica])
      await run(server, undefined, ADMIN, [
        ['ACL', 'SETUSER', 'victim', 'reset', 'on', `>${P0}`, '~*', '&*', '+@all', '-@admin'],
      ]);
  });

  afterAll(async () => {
    await h?.close();
    await listener?.close();
    await Promise.all([replica?.destroy(), primary?.destroy()]);
  });

  async function expectRefused(
    name: string,
    value: (listener: RecordingListener) => string,
    env: Record<string, string> = {},
  ): Promise<void> {
    await listener.close();
    listener = await startRecordingListener();
    const text = value(listener);
    const secret = await h.createSecret(name, text);
    const { arn } = h.register(name.replace(/[^a-zA-Z0-9-_]/g, '-'), env);
    const record = await h.rotate(secret, arn);
    // Nothing reached the listener: no admin password, not even a connection.
    expect(listener.saw(ADMIN), 'the listener received the admin password').toBe(false);
    expect(listener.connections()).toBe(0);
    expect(record.outcome).toBe('failed');
    const failed = record.steps.find((step) => !step.ok);
    expect(failed?.step).toBe('setSecret');
    expect(failed?.error?.code).toBe('ERR_TARGET_NOT_ALLOWED');
    expect(await h.current(secret)).toBe(text);
    for (const server of [primary, replica]) expect(await canLogin(server, 'victim', P0)).toBe(true);
    expect(everything(h.log, h.emu.rotations)).not.toContain(ADMIN);
  }

  it('refuses a user secret whose host is not the admin secret server', async () => {
    await expectRefused('redis/destination-host', (listener) =>
      JSON.stringify({
        host: listener.host,
        port: listener.port,
        username: 'victim',
        password: P0,
        adminSecretArn: adminArn,
      }),
    );
  });

  it('refuses a user secret that lists a node the admin server does not report', async () => {
    await expectRefused('redis/destination-nodes', (listener) =>
      JSON.stringify({
        host: '127.0.0.1',
        port: primary.port,
        username: 'victim',
        password: P0,
        nodes: [`127.0.0.1:${replica.port}`, `${listener.host}:${listener.port}`],
        adminSecretArn: adminArn,
      }),
    );
  });

  it('refuses a URL secret pointing elsewhere when the admin comes from REDIS_ADMIN_SECRET_ARN', async () => {
    await expectRefused(
      'redis/destination-env',
      (listener) => `redis://victim:${encodeURIComponent(P0)}@${listener.host}:${listener.port}`,
      { REDIS_ADMIN_SECRET_ARN: adminArn },
    );
  });

  it('still rotates with the admin on its own server and the replicas it reports', async () => {
    const secret = await h.createSecret(
      'redis/destination-ok',
      JSON.stringify({
        host: '127.0.0.1',
        port: primary.port,
        username: 'victim',
        password: P0,
        nodes: [`127.0.0.1:${replica.port}`],
        adminSecretArn: adminArn,
      }),
    );
    await listener.close();
    listener = await startRecordingListener();
    const { arn } = h.register('destination-ok');
    const record = await h.rotate(secret, arn);
    expect(record.outcome).toBe('succeeded');
    const next = passwordOf(await h.current(secret));
    for (const server of [primary, replica]) expect(await canLogin(server, 'victim', next)).toBe(true);
    expect(listener.connections()).toBe(0);
  });
});
