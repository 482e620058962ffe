import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  startRecordingListener,
  type RecordingListener,
} from '../../../scripts/testbed/recording-listener.ts';
import { everything, startRedisHarness, type RedisHarness } from './redis-harness.ts';

// Issue 14, attack 4 (Redis): `"ssl": true` used to be read as no TLS, so the password went
// out in plaintext. A recording listener stands in for whoever is on the path.
const PASSWORD = 'tls-field-Pw-4b7e1d9a';

describe('Redis TLS fields', () => {
  let listener: RecordingListener;
  let h: RedisHarness;

  beforeAll(async () => {
    h = await startRedisHarness({ rotationRetries: 0 });
  });

  afterAll(async () => {
    await h?.close();
    await listener?.close();
  });

  it('reads "ssl": true as TLS: the first bytes on the wire are a TLS handshake, never the password', async () => {
    listener = await startRecordingListener();
    const secret = await h.createSecret(
      'redis/tls-ssl-field',
      JSON.stringify({
        host: listener.host,
        port: listener.port,
        username: 'app',
        password: PASSWORD,
        ssl: true,
      }),
    );
    const { arn } = h.register('tls-ssl-field', { REDIS_CONNECT_TIMEOUT_MS: '1000' });
    const record = await h.rotate(secret, arn);
    expect(listener.saw(PASSWORD), 'the password crossed the wire in plaintext').toBe(false);
    expect(listener.received()[0], 'a TLS handshake record (0x16)').toBe(0x16);
    expect(record.outcome).toBe('failed');
    expect(everything(h.log, h.emu.rotations)).not.toContain(PASSWORD);
  });

  it('refuses "ssl" and "tls" that disagree, sending nothing', async () => {
    await listener?.close();
    listener = await startRecordingListener();
    const value = JSON.stringify({
      host: listener.host,
      port: listener.port,
      username: 'app',
      password: PASSWORD,
      ssl: true,
      tls: false,
    });
    const secret = await h.createSecret('redis/tls-conflict', value);
    const { arn } = h.register('tls-conflict');
    const record = await h.rotate(secret, arn);
    expect(listener.connections()).toBe(0);
    expect(record.outcome).toBe('failed');
    expect(record.steps.find((s) => !s.ok)?.error?.code).toBe('ERR_SECRET_CONFLICT');
    expect(await h.current(secret)).toBe(value);
  });
});
