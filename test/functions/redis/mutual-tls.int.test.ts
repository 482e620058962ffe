import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRedis, type RedisServer } from '../../../scripts/testbed/servers.ts';
import { canLogin, passwordOf, run, startRedisHarness, type RedisHarness } from './redis-harness.ts';

// Redis's own default once TLS is on: `tls-auth-clients yes`, a client must present a
// certificate the server's CA signed. A primary and a TLS replica (replicating over TLS).
const ADMIN = 'mtls-admin-Pw-000001';
const P0 = 'mtls-app-Pw-00000001';

describe('ACL-user mode over mutual TLS', () => {
  let primary: RedisServer;
  let replica: RedisServer;
  let h: RedisHarness;
  let tlsEnv: Record<string, string>;

  beforeAll(async () => {
    primary = await startRedis({ tls: true, tlsAuthClients: true, aclFile: true, requirepass: ADMIN });
    replica = await startRedis({
      tls: true,
      tlsAuthClients: true,
      requirepass: ADMIN,
      masterAuth: ADMIN,
      replicaOf: { host: primary.host, port: primary.port },
    });
    for (const server of [primary, replica])
      await run(server, undefined, ADMIN, [['ACL', 'SETUSER', 'app', 'on', `>${P0}`, '~*', '&*', '+@all']]);
    const tls = primary.tls;
    if (tls === undefined) throw new Error('no TLS material');
    tlsEnv = { REDIS_TLS_CA_FILE: tls.caPath };
    h = await startRedisHarness({ rotationRetries: 0 });
  });

  afterAll(async () => {
    await h?.close();
    await Promise.all([replica?.destroy(), primary?.destroy()]);
  });

  it('fails without a client certificate, changing nothing, and rotates every node with REDIS_TLS_CERT_FILE/KEY_FILE', async () => {
    const secret = await h.createSecret(
      'redis/mtls',
      `rediss://app:${encodeURIComponent(P0)}@127.0.0.1:${primary.port}`,
    );
    const without = h.register('mtls-without-cert', tlsEnv);
    const refused = await h.rotate(secret, without.arn);
    expect(refused.outcome).toBe('failed');
    expect(['ERR_TARGET_TLS', 'ERR_TARGET_UNREACHABLE']).toContain(
      refused.steps.find((s) => !s.ok)?.error?.code,
    );
    for (const server of [primary, replica]) expect(await canLogin(server, 'app', P0)).toBe(true);

    const tls = primary.tls;
    if (tls === undefined) throw new Error('no TLS material');
    const { arn, fn } = h.register('mtls', {
      ...tlsEnv,
      REDIS_TLS_CERT_FILE: tls.clientCertPath,
      REDIS_TLS_KEY_FILE: tls.clientKeyPath,
    });
    // The failed attempt left its pending version: Secrets Manager's retry runs the same token.
    for (const Step of ['setSecret', 'testSecret', 'finishSecret'])
      await fn.invoke({ Step, SecretId: secret, ClientRequestToken: refused.token });
    const next = passwordOf(await h.current(secret));
    for (const server of [primary, replica]) {
      expect(await canLogin(server, 'app', next)).toBe(true);
      expect(await canLogin(server, 'app', P0)).toBe(true);
    }
    expect((await h.rotate(secret, arn)).outcome).toBe('succeeded');
  });
});
