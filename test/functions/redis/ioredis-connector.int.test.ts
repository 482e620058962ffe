import { createServer, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RotationError } from '../../../shared/errors.ts';
import { ErrorCode } from '../../../shared/errors.ts';
import { Sensitive } from '../../../shared/sensitive.ts';
import { createIoredisConnector } from '../../../functions/redis/ioredis-connector.ts';
import { startRedis, type RedisServer } from '../../../scripts/testbed/servers.ts';

const PASSWORD = 'connector-Pw-000001';
const connector = createIoredisConnector({ connectTimeoutMs: 300, commandTimeoutMs: 300 });

async function timed(promise: Promise<unknown>): Promise<{ error: RotationError; ms: number }> {
  const started = Date.now();
  try {
    await promise;
  } catch (error) {
    return { error: error as RotationError, ms: Date.now() - started };
  }
  throw new Error('expected a failure');
}

describe('ioredis connector bounds', () => {
  let redis: RedisServer;
  let silent: Server;
  let silentPort = 0;
  const sockets: Socket[] = [];

  beforeAll(async () => {
    redis = await startRedis({ requirepass: PASSWORD });
    // Accepts TCP and never answers: AUTH must not hang.
    silent = createServer((socket) => sockets.push(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    silentPort = (silent.address() as { port: number }).port;
  });

  afterAll(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => silent?.close(resolve));
    await redis?.destroy();
  });

  it('logs in and runs commands with the right password', async () => {
    const session = await connector.open(
      { host: '127.0.0.1', port: redis.port, tls: false },
      { username: undefined, password: new Sensitive(PASSWORD) },
    );
    expect(await session.call('PING', [], { argsAreSecret: false })).toBe('PONG');
    await session.close();
  });

  it('fails a wrong password at once with ERR_TARGET_AUTH_FAILED, no retry loop, no password in the error', async () => {
    const { error, ms } = await timed(
      connector.open(
        { host: '127.0.0.1', port: redis.port, tls: false },
        { username: 'default', password: new Sensitive('wrong-password-xyz') },
      ),
    );
    expect(error.code).toBe(ErrorCode.ERR_TARGET_AUTH_FAILED);
    expect(ms).toBeLessThan(250);
    expect(`${error.message} ${JSON.stringify(error.details)}`).not.toContain('wrong-password-xyz');
    expect(error.message).toContain(`127.0.0.1:${redis.port}`);
  });

  it('fails a closed port with ERR_TARGET_UNREACHABLE', async () => {
    const { error } = await timed(
      connector.open(
        { host: '127.0.0.1', port: 1, tls: false },
        { username: undefined, password: new Sensitive(PASSWORD) },
      ),
    );
    expect(error.code).toBe(ErrorCode.ERR_TARGET_UNREACHABLE);
  });

  it('gives up on a server that never answers within the connect and command timeouts', async () => {
    const { error, ms } = await timed(
      connector.open(
        { host: '127.0.0.1', port: silentPort, tls: false },
        { username: undefined, password: new Sensitive(PASSWORD) },
      ),
    );
    expect(error.code).toBe(ErrorCode.ERR_TARGET_TIMEOUT);
    expect(ms).toBeLessThan(1500);
  });

  it('fails TLS to a plaintext server with a target error rather than a plaintext fallback', async () => {
    const { error } = await timed(
      connector.open(
        { host: '127.0.0.1', port: redis.port, tls: true },
        { username: undefined, password: new Sensitive(PASSWORD) },
      ),
    );
    // Redis waits for a line that a TLS ClientHello never ends: the handshake times out.
    expect([ErrorCode.ERR_TARGET_TLS, ErrorCode.ERR_TARGET_TIMEOUT]).toContain(error.code);
  });
});
