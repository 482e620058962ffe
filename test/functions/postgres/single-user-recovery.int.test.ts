import { DescribeSecretCommand } from '@aws-sdk/client-secrets-manager';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode } from '../../../shared/errors.ts';
import type { RdsPort, RdsTarget } from '../../../functions/postgres/rds-port.ts';
import { startPostgres, type PostgresServer } from '../../../scripts/testbed/servers.ts';
import {
  admin,
  canLogin,
  connect,
  createLogin,
  credentialsOf,
  everything,
  startPgHarness,
  type PgHarness,
} from './postgres-harness.ts';

// Break-glass (reset an RDS master password through the RDS API when no stored credential
// logs in) against a fake RDS port that applies ModifyDBInstance to the real local server,
// after a delay like the real API; and emergency session termination in single-user mode.

describe('single-user break-glass and emergency', () => {
  let server: PostgresServer;
  let h: PgHarness;
  const resets: { target: RdsTarget; at: number }[] = [];
  const applyDelayMs = 300;
  let applyResets = true;
  const described: string[] = [];
  // Two instances with the same master user name: the function is deployed for prod-db only.
  const fakeRds: RdsPort = {
    describeDbInstance: async (identifier) =>
      described.push(identifier) && (identifier === 'prod-db' || identifier === 'other-db')
        ? {
            identifier,
            engine: 'postgres',
            endpoint: { host: '127.0.0.1', port: server.port },
            masterUsername: 'rds_master',
            readReplicaSourceIdentifier: undefined,
            clusterIdentifier: undefined,
            status: 'available',
          }
        : undefined,
    describeDbCluster: async () => undefined,
    async resetMasterPassword(target, password) {
      resets.push({ target, at: Date.now() });
      if (!applyResets) return;
      const value = password.reveal();
      setTimeout(() => {
        void admin(server, [`ALTER ROLE rds_master WITH PASSWORD ${pg.escapeLiteral(value)}`]);
      }, applyDelayMs);
    },
  };
  const breakGlassEnv = {
    PG_BREAK_GLASS: 'true',
    PG_BREAK_GLASS_POLL_MS: '100',
    PG_BREAK_GLASS_WAIT_MS: '1500',
    PG_BREAK_GLASS_RESOURCE_ARNS: 'arn:aws:rds:us-east-1:123456789012:db:prod-db',
  };
  let breakGlassFn: string;
  let plainFn: string;
  let terminateFn: string;

  beforeAll(async () => {
    server = await startPostgres();
    h = await startPgHarness();
    breakGlassFn = h.register('pg-break-glass', { env: breakGlassEnv, ports: { rds: fakeRds } }).arn;
    plainFn = h.register('pg-no-break-glass', { ports: { rds: fakeRds } }).arn;
    terminateFn = h.register('pg-terminate', { env: { PG_EMERGENCY_TERMINATE_SESSIONS: 'true' } }).arn;
    await createLogin(server, 'rds_master', 'the-real-master-Pw');
    await createLogin(server, 'not_master', 'the-real-other-Pw');
  });

  afterAll(async () => {
    await h?.close();
    await server?.destroy();
  });

  const staleSecret = (username: string) => ({
    engine: 'postgres',
    host: '127.0.0.1',
    port: server.port,
    username,
    password: 'stale-Pw-nobody-knows',
    dbInstanceIdentifier: 'prod-db',
    ssl: false,
  });

  it('does nothing through RDS when break-glass is off (the default)', async () => {
    const secretId = await h.createSecret('pg/bg-off', staleSecret('rds_master'));
    const record = await h.rotate(secretId, plainFn);
    expect(record.outcome).toBe('failed');
    expect(record.steps.find((s) => !s.ok)?.error?.code).toBe(ErrorCode.ERR_NO_WORKING_CREDENTIAL);
    expect(resets).toEqual([]);
    expect(await canLogin(server, 'rds_master', 'the-real-master-Pw')).toBe(true);
  });

  it('refuses when the user is not the master user of the named instance', async () => {
    const secretId = await h.createSecret('pg/bg-not-master', staleSecret('not_master'));
    const record = await h.rotate(secretId, breakGlassFn);
    expect(record.outcome).toBe('failed');
    const failed = record.steps.find((s) => !s.ok);
    expect(failed?.error?.code).toBe(ErrorCode.ERR_NO_WORKING_CREDENTIAL);
    expect(failed?.error?.message).toMatch(
      /break-glass refused: "not_master" is not the master user of RDS instance prod-db/,
    );
    expect(resets).toEqual([]);
    expect(await canLogin(server, 'not_master', 'the-real-other-Pw')).toBe(true);
  });

  it('refuses a secret naming an instance it was not deployed for: nothing described, nothing reset', async () => {
    // The author of this secret knows the master user name of another instance (rds_master is
    // common) and would have the function reset that instance's master password to one they read.
    described.length = 0;
    const secretId = await h.createSecret('pg/bg-other-db', {
      ...staleSecret('rds_master'),
      dbInstanceIdentifier: 'other-db',
    });
    const record = await h.rotate(secretId, breakGlassFn);
    expect(record.outcome).toBe('failed');
    const failed = record.steps.find((s) => !s.ok);
    expect(failed?.error?.code).toBe(ErrorCode.ERR_TARGET_NOT_ALLOWED);
    expect(failed?.error?.message).toContain(
      'RDS instance other-db is not one this function was deployed for',
    );
    expect(described).toEqual([]);
    expect(resets).toEqual([]);
  });

  it('refuses to reset anything when PG_BREAK_GLASS_RESOURCE_ARNS is unset, naming the variable', async () => {
    const { PG_BREAK_GLASS_RESOURCE_ARNS: _unset, ...unlistedEnv } = breakGlassEnv;
    const unlisted = h.register('pg-break-glass-unlisted', {
      env: unlistedEnv,
      ports: { rds: fakeRds },
    }).arn;
    described.length = 0;
    const secretId = await h.createSecret('pg/bg-unlisted', staleSecret('rds_master'));
    const record = await h.rotate(secretId, unlisted);
    const failed = record.steps.find((s) => !s.ok);
    expect(failed?.error?.code).toBe(ErrorCode.ERR_CONFIG_INVALID);
    expect(failed?.error?.message).toContain('PG_BREAK_GLASS_RESOURCE_ARNS is unset');
    expect(described).toEqual([]);
    expect(resets).toEqual([]);
  });

  it('times out with ERR_WAIT_TIMEOUT when the reset never takes effect', async () => {
    applyResets = false;
    try {
      const secretId = await h.createSecret('pg/bg-timeout', staleSecret('rds_master'));
      const record = await h.rotate(secretId, breakGlassFn);
      expect(record.outcome).toBe('failed');
      expect(record.steps.find((s) => !s.ok)?.error?.code).toBe(ErrorCode.ERR_WAIT_TIMEOUT);
      expect(resets).toHaveLength(1);
    } finally {
      applyResets = true;
      resets.length = 0;
    }
  });

  it('resets the master password through ModifyDBInstance and waits until it logs in', async () => {
    const secretId = await h.createSecret('pg/bg-on', staleSecret('rds_master'));
    const record = await h.rotate(secretId, breakGlassFn);
    expect(record.outcome, JSON.stringify(record.steps)).toBe('succeeded');
    expect(resets.map((r) => r.target)).toEqual([{ kind: 'instance', identifier: 'prod-db' }]);
    const now = credentialsOf(await h.current(secretId));
    expect(await canLogin(server, 'rds_master', now.password)).toBe(true);
    expect(await canLogin(server, 'rds_master', 'the-real-master-Pw')).toBe(false);
    expect(h.log.lines.some((line) => line.includes('Break-glass: the reset password logs in'))).toBe(true);
  });

  it('emergency with PG_EMERGENCY_TERMINATE_SESSIONS ends the sessions that started before the rotation', async () => {
    await createLogin(server, 'leaked_single', 'leaked-single-Pw');
    const secretId = await h.createSecret(
      'pg/single-emergency',
      {
        host: '127.0.0.1',
        port: server.port,
        username: 'leaked_single',
        password: 'leaked-single-Pw',
        ssl: false,
      },
      { RotationMode: 'emergency' },
    );
    const held = await connect(server, 'leaked_single', 'leaked-single-Pw');
    const record = await h.rotate(secretId, terminateFn);
    expect(record.outcome, JSON.stringify(record.steps)).toBe('succeeded');
    await expect(held.query('SELECT 1')).rejects.toThrow(/terminat|connection error/);
    expect(
      await admin(server, [
        "SELECT count(*)::int AS n FROM pg_stat_activity WHERE usename = 'leaked_single'",
      ]),
    ).toEqual([{ n: 0 }]);
    const tags = (await h.sm.send(new DescribeSecretCommand({ SecretId: secretId }))).Tags ?? [];
    expect(tags.map((t) => t.Key)).not.toContain('RotationMode');
  });

  it('emergency without the opt-in leaves running sessions alone', async () => {
    await createLogin(server, 'leaked_keep', 'leaked-keep-Pw');
    const secretId = await h.createSecret(
      'pg/single-emergency-keep',
      {
        host: '127.0.0.1',
        port: server.port,
        username: 'leaked_keep',
        password: 'leaked-keep-Pw',
        ssl: false,
      },
      { RotationMode: 'emergency' },
    );
    const held = await connect(server, 'leaked_keep', 'leaked-keep-Pw');
    try {
      const record = await h.rotate(secretId, plainFn);
      expect(record.outcome).toBe('succeeded');
      expect(await held.query('SELECT 1 AS ok')).toMatchObject({ rows: [{ ok: 1 }] });
    } finally {
      await held.end();
    }
  });

  it('never writes a password to a log line or an error', async () => {
    const text = everything(h.log, h.emu.rotations);
    for (const password of [
      'stale-Pw-nobody-knows',
      'the-real-master-Pw',
      'the-real-other-Pw',
      'leaked-single-Pw',
    ])
      expect(text).not.toContain(password);
  });
});
