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
  startPgHarness,
  superuserSecret,
  type PgHarness,
} from './postgres-harness.ts';

// Roles whose password expires (VALID UNTIL) against a real PostgreSQL 15: a rotation must
// not report OK and leave a login that expires tomorrow; it refuses before changing anything
// (PG_VALID_UNTIL=refuse, the default) or extends the expiry with the new password
// (PG_VALID_UNTIL=extend). An expired role is reported as expired, not as a wrong password.

const DAY_MS = 86_400_000;

describe('VALID UNTIL', () => {
  let server: PostgresServer;
  let h: PgHarness;
  let refuseFn: string;
  let extendFn: string;
  let adminArn: string;

  beforeAll(async () => {
    server = await startPostgres();
    h = await startPgHarness({ rotationRetries: 0 });
    refuseFn = h.register('pg-valid-until-refuse').arn;
    extendFn = h.register('pg-valid-until-extend', {
      env: { PG_VALID_UNTIL: 'extend', PG_VALID_UNTIL_DAYS: '30' },
    }).arn;
    adminArn = await h.createSecret('pg/valid-until-admin', superuserSecret(server));
  });

  afterAll(async () => {
    await h?.close();
    await server?.destroy();
  });

  const tomorrow = () => new Date(Date.now() + DAY_MS).toISOString();
  const validUntilOf = async (user: string): Promise<number | undefined> => {
    const [row] = await admin(server, [['SELECT rolvaliduntil FROM pg_roles WHERE rolname = $1', [user]]]);
    const value = row?.['rolvaliduntil'];
    return value instanceof Date ? value.getTime() : undefined;
  };
  const secretFor = (name: string, username: string, password: string, extra: object = {}) =>
    h.createSecret(`pg/valid-until-${name}`, loginSecret(server, username, password, extra));

  it('single user, default: refuses a role that expires tomorrow with ERR_TARGET_ROLE_VALID_UNTIL and changes nothing', async () => {
    await createLogin(server, 'vu_single', 'vu-single-Pw');
    const expiry = tomorrow();
    await admin(server, [`ALTER ROLE vu_single VALID UNTIL '${expiry}'`]);
    const secretId = await secretFor('single', 'vu_single', 'vu-single-Pw');
    const record = await h.rotate(secretId, refuseFn);
    expect(failedCodes(record)).toEqual([ErrorCode.ERR_TARGET_ROLE_VALID_UNTIL]);
    expect(record.steps.find((step) => !step.ok)).toMatchObject({
      step: 'setSecret',
      error: { message: expect.stringContaining('PG_VALID_UNTIL=extend') },
    });
    expect(await canLogin(server, 'vu_single', 'vu-single-Pw')).toBe(true);
    expect(await validUntilOf('vu_single')).toBe(new Date(expiry).getTime());
  });

  it('single user with CREATEROLE, PG_VALID_UNTIL=extend: the new password is valid for PG_VALID_UNTIL_DAYS', async () => {
    await createLogin(server, 'vu_extend', 'vu-extend-Pw');
    await admin(server, [`ALTER ROLE vu_extend CREATEROLE VALID UNTIL '${tomorrow()}'`]);
    const secretId = await secretFor('extend', 'vu_extend', 'vu-extend-Pw');
    const started = Date.now();
    const record = await h.rotate(secretId, extendFn);
    expect(record.outcome, JSON.stringify(record.steps.filter((step) => !step.ok))).toBe('succeeded');
    const until = (await validUntilOf('vu_extend')) as number;
    expect(until).toBeGreaterThanOrEqual(started + 30 * DAY_MS - 1_000);
    expect(until).toBeLessThanOrEqual(Date.now() + 30 * DAY_MS + 1_000);
    expect(await canLogin(server, 'vu_extend', credentialsOf(await h.current(secretId)).password)).toBe(true);
  });

  it('single user without CREATEROLE, PG_VALID_UNTIL=extend: refuses before changing anything (it could not extend its own expiry)', async () => {
    await createLogin(server, 'vu_plain', 'vu-plain-Pw');
    await admin(server, [`ALTER ROLE vu_plain VALID UNTIL '${tomorrow()}'`]);
    const secretId = await secretFor('plain', 'vu_plain', 'vu-plain-Pw');
    const record = await h.rotate(secretId, extendFn);
    expect(failedCodes(record)).toEqual([ErrorCode.ERR_TARGET_ROLE_VALID_UNTIL]);
    expect(record.steps.find((step) => !step.ok)?.error?.message).toContain('CREATEROLE');
    expect(await canLogin(server, 'vu_plain', 'vu-plain-Pw')).toBe(true);
  });

  it('alternating users, PG_VALID_UNTIL=extend: the admin gives the clone a new expiry with its password', async () => {
    await createLogin(server, 'vu_alt', 'vu-alt-Pw');
    await admin(server, [`ALTER ROLE vu_alt VALID UNTIL '${tomorrow()}'`]);
    const secretId = await secretFor('alt', 'vu_alt', 'vu-alt-Pw', { masterarn: adminArn });
    const refused = await h.rotate(secretId, refuseFn);
    expect(failedCodes(refused)).toEqual([ErrorCode.ERR_TARGET_ROLE_VALID_UNTIL]);
    expect(await admin(server, ["SELECT 1 FROM pg_roles WHERE rolname = 'vu_alt_clone'"])).toEqual([]);

    // The refused rotation left its AWSPENDING version behind (as AWS's service does): use another secret.
    const again = await secretFor('alt-again', 'vu_alt', 'vu-alt-Pw', { masterarn: adminArn });
    const record = await h.rotate(again, extendFn);
    expect(record.outcome, JSON.stringify(record.steps.filter((step) => !step.ok))).toBe('succeeded');
    const now = credentialsOf(await h.current(again));
    expect(now.username).toBe('vu_alt_clone');
    expect(await validUntilOf('vu_alt_clone')).toBeGreaterThan(Date.now() + 29 * DAY_MS);
    expect(await canLogin(server, 'vu_alt_clone', now.password)).toBe(true);
  });

  it('alternating users: a current login whose VALID UNTIL has passed is reported as ERR_TARGET_ROLE_EXPIRED, not a wrong password', async () => {
    await createLogin(server, 'vu_gone', 'vu-gone-Pw');
    await admin(server, ["ALTER ROLE vu_gone VALID UNTIL '2001-01-01 00:00:00+00'"]);
    const secretId = await secretFor('gone', 'vu_gone', 'vu-gone-Pw', { masterarn: adminArn });
    const record = await h.rotate(secretId, refuseFn);
    expect(failedCodes(record)).toEqual([ErrorCode.ERR_TARGET_ROLE_EXPIRED]);
    expect(record.steps.find((step) => !step.ok)).toMatchObject({
      step: 'setSecret',
      error: { message: expect.stringMatching(/"vu_gone" .*expired at 2001-01-01T00:00:00Z/) },
    });
    expect(await admin(server, ["SELECT 1 FROM pg_roles WHERE rolname = 'vu_gone_clone'"])).toEqual([]);
  });

  it('single user: an expired role is named as a possible cause of the wrong-password answer', async () => {
    await createLogin(server, 'vu_single_gone', 'vu-single-gone-Pw');
    await admin(server, ["ALTER ROLE vu_single_gone VALID UNTIL '2001-01-01 00:00:00+00'"]);
    const secretId = await secretFor('single-gone', 'vu_single_gone', 'vu-single-gone-Pw');
    const record = await h.rotate(secretId, refuseFn);
    expect(failedCodes(record)).toEqual([ErrorCode.ERR_NO_WORKING_CREDENTIAL]);
    expect(record.steps.find((step) => !step.ok)?.error?.message).toContain('VALID UNTIL has passed');
  });
});
