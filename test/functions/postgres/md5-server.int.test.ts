import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPostgres, type PostgresServer } from '../../../scripts/testbed/servers.ts';
import {
  admin,
  canLogin,
  createLogin,
  credentialsOf,
  loginSecret,
  startPgHarness,
  superuserSecret,
  type PgHarness,
} from './postgres-harness.ts';

// A legacy cluster as many RDS instances still run it: password_encryption = md5 and md5 in
// pg_hba.conf, log_statement = 'all'. The function must keep md5 (the server would have hashed
// a plaintext password with md5, as AWS's function has it do), never send the plaintext, and
// switch to SCRAM only when PG_PASSWORD_ENCRYPTION=scram-sha-256 says so.

const md5Of = (password: string, user: string): string =>
  `md5${createHash('md5')
    .update(password + user)
    .digest('hex')}`;

describe('rotation on an md5 PostgreSQL server', () => {
  let server: PostgresServer;
  let h: PgHarness;
  let singleFn: string;
  let scramFn: string;
  let alternatingFn: string;
  let adminArn: string;

  beforeAll(async () => {
    server = await startPostgres({ passwordEncryption: 'md5', logStatements: true });
    h = await startPgHarness({ rotationRetries: 0 });
    singleFn = h.register('pg-md5-single').arn;
    scramFn = h.register('pg-md5-force-scram', { env: { PG_PASSWORD_ENCRYPTION: 'scram-sha-256' } }).arn;
    alternatingFn = h.register('pg-md5-alternating').arn;
    adminArn = await h.createSecret('pg/md5-admin', superuserSecret(server));
  });

  afterAll(async () => {
    await h?.close();
    await server?.destroy();
  });

  const storedHash = async (user: string): Promise<string> =>
    String(
      (await admin(server, [['SELECT rolpassword FROM pg_authid WHERE rolname = $1', [user]]]))[0]?.[
        'rolpassword'
      ],
    );

  const secretFor = (username: string, password: string, extra: object = {}) =>
    loginSecret(server, username, password, extra);

  it('single user keeps an md5 role md5: the stored hash is md5(new password + user), and the log never shows the password', async () => {
    await createLogin(server, 'legacy_app', 'legacy-initial-Pw');
    expect(await storedHash('legacy_app')).toMatch(/^md5/);
    const secretId = await h.createSecret('pg/md5-single', secretFor('legacy_app', 'legacy-initial-Pw'));
    const record = await h.rotate(secretId, singleFn);
    expect(record.outcome, JSON.stringify(record.steps.filter((step) => !step.ok))).toBe('succeeded');
    const now = credentialsOf(await h.current(secretId));
    expect(await storedHash('legacy_app')).toBe(md5Of(now.password, 'legacy_app'));
    expect(await canLogin(server, 'legacy_app', now.password)).toBe(true);
    const log = await server.readLog();
    expect(log).toContain('ALTER ROLE "legacy_app" WITH PASSWORD \'md5');
    expect(log).not.toContain(now.password);
  });

  it('alternating users creates and updates the clone with md5 hashes', async () => {
    await createLogin(server, 'legacy_alt', 'legacy-alt-initial-Pw');
    const secretId = await h.createSecret(
      'pg/md5-alternating',
      secretFor('legacy_alt', 'legacy-alt-initial-Pw', { masterarn: adminArn }),
    );
    for (const expected of ['legacy_alt_clone', 'legacy_alt']) {
      const record = await h.rotate(secretId, alternatingFn);
      expect(record.outcome, JSON.stringify(record.steps.filter((step) => !step.ok))).toBe('succeeded');
      const now = credentialsOf(await h.current(secretId));
      expect(now.username).toBe(expected);
      expect(await storedHash(expected)).toBe(md5Of(now.password, expected));
      expect(await server.readLog()).not.toContain(now.password);
    }
  });

  it('PG_PASSWORD_ENCRYPTION=scram-sha-256 moves an md5 role to SCRAM, on purpose', async () => {
    await createLogin(server, 'migrating_app', 'migrating-initial-Pw');
    const secretId = await h.createSecret(
      'pg/md5-migrate',
      secretFor('migrating_app', 'migrating-initial-Pw'),
    );
    const record = await h.rotate(secretId, scramFn);
    expect(record.outcome, JSON.stringify(record.steps.filter((step) => !step.ok))).toBe('succeeded');
    const now = credentialsOf(await h.current(secretId));
    expect(await storedHash('migrating_app')).toMatch(/^SCRAM-SHA-256\$4096:/);
    // pg_hba.conf says md5; PostgreSQL then authenticates a SCRAM verifier with SCRAM.
    expect(await canLogin(server, 'migrating_app', now.password)).toBe(true);
    expect(await server.readLog()).not.toContain(now.password);
  });
});
