import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode } from '../../../shared/errors.ts';
import { startPostgres, type PostgresServer } from '../../../scripts/testbed/servers.ts';
import {
  admin,
  canLogin,
  createLogin,
  credentialsOf,
  failedCodes,
  loginSecret,
  run,
  startPgHarness,
  superuserSecret,
  type PgHarness,
} from './postgres-harness.ts';

// Alternating users (AWS's `<user>_clone` naming) against a real PostgreSQL 15: the clone a
// rotation hands out must be able to do what the original can (membership, attributes,
// per-role settings), a clone a DBA disabled stays disabled, and testSecret proves it.

describe('alternating users keep the clone faithful to the original', () => {
  let server: PostgresServer;
  let h: PgHarness;
  let fn: string;
  let queryFn: string;
  let adminArn: string;

  beforeAll(async () => {
    server = await startPostgres();
    h = await startPgHarness({ rotationRetries: 0 });
    fn = h.register('pg-clone-fidelity').arn;
    queryFn = h.register('pg-clone-fidelity-query', {
      env: { PG_TEST_QUERY: 'SELECT count(*) FROM clone_orders' },
    }).arn;
    adminArn = await h.createSecret('pg/clone-admin', superuserSecret(server));
  });

  afterAll(async () => {
    await h?.close();
    await server?.destroy();
  });

  const secretFor = (username: string, password: string) =>
    h.createSecret(`pg/clone-${username}`, loginSecret(server, username, password, { masterarn: adminArn }));

  const isMember = async (role: string, member: string): Promise<boolean> =>
    (
      await admin(server, [
        [
          'SELECT 1 FROM pg_auth_members m JOIN pg_roles r ON r.oid = m.roleid JOIN pg_roles u ON u.oid = m.member WHERE r.rolname = $1 AND u.rolname = $2',
          [role, member],
        ],
      ])
    ).length > 0;

  it('repairs a pre-existing clone that is not a member of the original, so PG_TEST_QUERY works as the clone', async () => {
    await createLogin(server, 'fid_app', 'fid-initial-Pw');
    await admin(server, [
      'CREATE TABLE clone_orders (id int)',
      'GRANT SELECT ON clone_orders TO fid_app',
      // A clone left by someone else: it logs in, but has none of the original's grants.
      "CREATE ROLE fid_app_clone LOGIN PASSWORD 'stale-clone-Pw'",
    ]);
    const secretId = await secretFor('fid_app', 'fid-initial-Pw');
    const record = await h.rotate(secretId, queryFn);
    expect(record.outcome, JSON.stringify(record.steps.filter((step) => !step.ok))).toBe('succeeded');
    const now = credentialsOf(await h.current(secretId));
    expect(now.username).toBe('fid_app_clone');
    expect(await isMember('fid_app', 'fid_app_clone')).toBe(true);
    expect(
      await run(server, now.username, now.password, ['SELECT count(*)::int AS n FROM clone_orders']),
    ).toEqual([{ n: 0 }]);
  });

  it('re-grants the membership a DBA revoked between rotations', async () => {
    await createLogin(server, 'fid_revoked', 'fid-revoked-Pw');
    const secretId = await secretFor('fid_revoked', 'fid-revoked-Pw');
    for (let round = 0; round < 2; round += 1)
      expect((await h.rotate(secretId, fn)).outcome).toBe('succeeded');
    expect(credentialsOf(await h.current(secretId)).username).toBe('fid_revoked');
    await admin(server, ['REVOKE fid_revoked FROM fid_revoked_clone']);
    const record = await h.rotate(secretId, fn);
    expect(record.outcome, JSON.stringify(record.steps.filter((step) => !step.ok))).toBe('succeeded');
    expect(await isMember('fid_revoked', 'fid_revoked_clone')).toBe(true);
  });

  it('copies attributes and per-role settings of the original to the clone', async () => {
    await admin(server, [
      'CREATE DATABASE fid_other',
      "CREATE ROLE fid_attr LOGIN CREATEDB CONNECTION LIMIT 7 PASSWORD 'fid-attr-Pw'",
      'ALTER ROLE fid_attr SET search_path = app, "$user", public',
      "ALTER ROLE fid_attr SET statement_timeout = '5s'",
      "ALTER ROLE fid_attr SET app.note = 'it''s=fine'",
      "ALTER ROLE fid_attr IN DATABASE fid_other SET work_mem = '8MB'",
      // The clone exists with settings of its own that the original does not have.
      "CREATE ROLE fid_attr_clone LOGIN NOINHERIT PASSWORD 'stale-attr-Pw'",
      "ALTER ROLE fid_attr_clone SET lock_timeout = '1s'",
    ]);
    const secretId = await secretFor('fid_attr', 'fid-attr-Pw');
    const record = await h.rotate(secretId, fn);
    expect(record.outcome, JSON.stringify(record.steps.filter((step) => !step.ok))).toBe('succeeded');
    const attributes = await admin(server, [
      "SELECT rolname, rolcreatedb, rolinherit, rolconnlimit FROM pg_roles WHERE rolname IN ('fid_attr', 'fid_attr_clone') ORDER BY rolname",
    ]);
    expect(attributes[1]).toEqual({ ...attributes[0], rolname: 'fid_attr_clone' });
    const settings = await admin(server, [
      "SELECT r.rolname, coalesce(d.datname, '*') AS db, s.setconfig FROM pg_db_role_setting s JOIN pg_roles r ON r.oid = s.setrole LEFT JOIN pg_database d ON d.oid = s.setdatabase WHERE r.rolname IN ('fid_attr', 'fid_attr_clone') ORDER BY 1, 2",
    ]);
    const of = (role: string) =>
      settings
        .filter((row) => row['rolname'] === role)
        .map((row) => ({ db: row['db'], setconfig: row['setconfig'] }));
    expect(of('fid_attr_clone')).toEqual(of('fid_attr'));
    expect(of('fid_attr')).toHaveLength(2);
    // The clone's session sees the original's search_path, element by element.
    const now = credentialsOf(await h.current(secretId));
    expect(await run(server, now.username, now.password, ['SHOW search_path'])).toEqual([
      { search_path: 'app, "$user", public' },
    ]);
  });

  it('refuses a NOLOGIN clone with ERR_TARGET_ROLE_NOLOGIN and changes nothing', async () => {
    await createLogin(server, 'fid_locked', 'fid-locked-Pw');
    await admin(server, ["CREATE ROLE fid_locked_clone NOLOGIN PASSWORD 'locked-clone-Pw'"]);
    const before = await admin(server, [
      "SELECT rolpassword FROM pg_authid WHERE rolname = 'fid_locked_clone'",
    ]);
    const secretId = await secretFor('fid_locked', 'fid-locked-Pw');
    const record = await h.rotate(secretId, fn);
    expect(failedCodes(record)).toEqual([ErrorCode.ERR_TARGET_ROLE_NOLOGIN]);
    expect(record.steps.find((step) => !step.ok)).toMatchObject({
      step: 'setSecret',
      error: { message: expect.stringContaining('"fid_locked_clone"') },
    });
    expect(
      await admin(server, [
        "SELECT rolcanlogin, rolpassword FROM pg_authid WHERE rolname = 'fid_locked_clone'",
      ]),
    ).toEqual([{ rolcanlogin: false, rolpassword: before[0]?.['rolpassword'] }]);
    expect(credentialsOf(await h.current(secretId)).username).toBe('fid_locked');
  });

  it('testSecret fails when the pending login lacks a membership the current login has', async () => {
    await createLogin(server, 'fid_drift', 'fid-drift-Pw');
    await admin(server, ['CREATE ROLE fid_reporting NOLOGIN']);
    const secretId = await secretFor('fid_drift', 'fid-drift-Pw');
    expect((await h.rotate(secretId, fn)).outcome).toBe('succeeded');
    // A DBA grants a role to the clone only; the next rotation hands out the original again.
    await admin(server, ['GRANT fid_reporting TO fid_drift_clone']);
    const record = await h.rotate(secretId, fn);
    expect(failedCodes(record)).toEqual([ErrorCode.ERR_TEST_FAILED]);
    expect(record.steps.find((step) => !step.ok)).toMatchObject({
      step: 'testSecret',
      error: { message: expect.stringMatching(/"fid_drift" .*not a member of "fid_reporting"/) },
    });
    // AWSCURRENT still holds the clone, which still logs in.
    const current = credentialsOf(await h.current(secretId));
    expect(current.username).toBe('fid_drift_clone');
    expect(await canLogin(server, current.username, current.password)).toBe(true);
  });
});
