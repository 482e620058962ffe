import { createServer, type AddressInfo, type Socket } from 'node:net';
import { PutSecretValueCommand, RotateSecretCommand } from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode, RotationError } from '../../../shared/errors.ts';
import type { SecretsPort } from '../../../shared/secrets-port.ts';
import type { PgConnector } from '../../../functions/postgres/pg-connector.ts';
import { freePort, startPostgres, type PostgresServer } from '../../../scripts/testbed/servers.ts';
import {
  admin,
  canLogin,
  connect,
  createLogin,
  credentialsOf,
  everything,
  failedCodes,
  startPgHarness,
  type PgHarness,
} from './postgres-harness.ts';

// AWS's crash table for the single-user function (section 3.2), one crash per point, and
// recovery by the service's retry; then bad inputs that must fail with a stable code and
// change nothing.

type Fault = 'beforePut' | 'afterPut' | 'beforeAlter' | 'afterAlter' | 'afterLabelMove' | 'testLogin';

describe('single-user crashes and recovery', () => {
  let server: PostgresServer;
  let h: PgHarness;
  let fn: string;
  let invoke: (event: unknown) => Promise<unknown>;
  let step = '';
  const armed = new Map<Fault, number>();
  const passwords: string[] = [];

  function fire(fault: Fault): boolean {
    const left = armed.get(fault) ?? 0;
    if (left <= 0) return false;
    armed.set(fault, left - 1);
    return true;
  }

  const crash = (where: string) => new Error(`injected crash ${where}`);

  const wrapSecrets = (port: SecretsPort): SecretsPort => ({
    ...port,
    async putSecretValue(input) {
      if (fire('beforePut')) throw crash('before PutSecretValue');
      await port.putSecretValue(input);
      if (fire('afterPut')) throw crash('after PutSecretValue');
    },
    async updateSecretVersionStage(input) {
      await port.updateSecretVersionStage(input);
      if (fire('afterLabelMove')) throw crash('after the label move');
    },
  });

  const wrapConnector = (base: PgConnector): PgConnector => ({
    async connect(endpoint, credential) {
      if (step === 'testSecret' && credential === 'pending' && fire('testLogin')) {
        throw new RotationError(
          ErrorCode.ERR_TARGET_TIMEOUT,
          'injected: pending login timed out in testSecret',
        );
      }
      const session = await base.connect(endpoint, credential);
      return {
        close: () => session.close(),
        async query(sql, values, action) {
          if (sql.startsWith('ALTER ROLE') && fire('beforeAlter')) throw crash('before the ALTER commits');
          const rows = await session.query(sql, values, action);
          if (sql.startsWith('ALTER ROLE') && fire('afterAlter')) throw crash('after the ALTER committed');
          return rows;
        },
      };
    },
  });

  beforeAll(async () => {
    server = await startPostgres();
    h = await startPgHarness({ rotationRetries: 2 });
    const registered = h.register('pg-single-crash', {
      secrets: wrapSecrets,
      ports: { connector: wrapConnector },
      before: ({ Step }) => {
        step = Step;
      },
    });
    fn = registered.arn;
    invoke = registered.fn.invoke;
  });

  afterAll(async () => {
    await h?.close();
    await server?.destroy();
  });

  async function newSecret(name: string) {
    const password = `initial-${name}-Pw`;
    await createLogin(server, name, password);
    const stored = {
      engine: 'postgres',
      host: '127.0.0.1',
      port: server.port,
      username: name,
      password,
      ssl: false,
    };
    return { secretId: await h.createSecret(`pg/${name}`, stored), stored };
  }

  it.each<[Fault, string]>([
    ['beforePut', 'createSecret'],
    ['afterPut', 'createSecret'],
    ['beforeAlter', 'setSecret'],
    ['afterAlter', 'setSecret'],
    ['afterLabelMove', 'finishSecret'],
  ])('recovers by retry from a crash %s', async (fault, failingStep) => {
    const { secretId, stored } = await newSecret(`crash_${fault.toLowerCase()}`);
    armed.set(fault, 1);
    const record = await h.rotate(secretId, fn);
    expect(record.outcome).toBe('succeeded');
    expect(record.attempts).toBe(2);
    expect(record.steps.filter((s) => !s.ok).map((s) => s.step)).toEqual([failingStep]);
    const now = credentialsOf(await h.current(secretId));
    passwords.push(now.password);
    expect(await canLogin(server, stored.username, now.password)).toBe(true);
    expect(await canLogin(server, stored.username, stored.password)).toBe(false);
  });

  it('recovers when testSecret fails once, on the retried rotation', async () => {
    const { secretId, stored } = await newSecret('crash_test_once');
    armed.set('testLogin', 1);
    const record = await h.rotate(secretId, fn);
    expect(record.outcome).toBe('succeeded');
    expect(failedCodes(record)).toEqual([ErrorCode.ERR_TARGET_TIMEOUT]);
    const now = credentialsOf(await h.current(secretId));
    passwords.push(now.password);
    expect(await canLogin(server, stored.username, now.password)).toBe(true);
  });

  it('leaves AWSCURRENT alone when testSecret keeps failing, and finishes when the steps are retried', async () => {
    const { secretId, stored } = await newSecret('crash_test_always');
    armed.set('testLogin', 3);
    const record = await h.rotate(secretId, fn);
    expect(record.outcome).toBe('failed');
    expect(failedCodes(record)).toEqual([
      ErrorCode.ERR_TARGET_TIMEOUT,
      ErrorCode.ERR_TARGET_TIMEOUT,
      ErrorCode.ERR_TARGET_TIMEOUT,
    ]);
    // AWSCURRENT still serves the old value; single user's inherent window: the database already has the new one.
    expect(credentialsOf(await h.current(secretId)).password).toBe(stored.password);
    const stages = await h.stages(secretId);
    expect(stages[record.token]).toEqual(['AWSPENDING']);
    await expect(
      h.sm.send(new RotateSecretCommand({ SecretId: secretId, RotationLambdaARN: fn })),
    ).rejects.toThrow(/previous rotation isn't complete/);
    // The service's re-attempt of the same token completes it.
    for (const Step of ['createSecret', 'setSecret', 'testSecret', 'finishSecret'])
      await invoke({ Step, SecretId: secretId, ClientRequestToken: record.token });
    const now = credentialsOf(await h.current(secretId));
    passwords.push(now.password);
    expect(now.password).not.toBe(stored.password);
    expect(await canLogin(server, stored.username, now.password)).toBe(true);
  });

  it('refuses a pending version that names another user, and changes nothing', async () => {
    const { secretId, stored } = await newSecret('victim_owner');
    await createLogin(server, 'victim_other', 'other-Pw-unchanged');
    const first = await h.rotate(secretId, fn);
    expect(first.outcome).toBe('succeeded');
    const current = credentialsOf(await h.current(secretId));
    passwords.push(current.password);
    const token = '11111111-2222-3333-4444-555555555555';
    await h.sm.send(
      new PutSecretValueCommand({
        SecretId: secretId,
        ClientRequestToken: token,
        VersionStages: ['AWSPENDING'],
        SecretString: JSON.stringify({ ...stored, username: 'victim_other', password: 'attacker-Pw-0000' }),
      }),
    );
    await expect(
      invoke({ Step: 'setSecret', SecretId: secretId, ClientRequestToken: token }),
    ).rejects.toMatchObject({ code: ErrorCode.ERR_SECRET_IDENTITY_CHANGED });
    expect(await canLogin(server, 'victim_other', 'other-Pw-unchanged')).toBe(true);
    expect(await canLogin(server, 'victim_other', 'attacker-Pw-0000')).toBe(false);
    expect(await canLogin(server, stored.username, current.password)).toBe(true);
  });

  it('never writes a password to a log line or an error', () => {
    const text = everything(h.log, h.emu.rotations);
    expect(passwords.length).toBeGreaterThanOrEqual(8);
    for (const password of [...passwords, 'attacker-Pw-0000', 'other-Pw-unchanged'])
      expect(text).not.toContain(password);
  });
});

describe('single-user bad inputs', () => {
  let server: PostgresServer;
  let h: PgHarness;
  let fn: string;

  beforeAll(async () => {
    server = await startPostgres();
    h = await startPgHarness({ rotationRetries: 0 });
    fn = h.register('pg-single-bad').arn;
    await createLogin(server, 'bad_inputs', 'bad-inputs-Pw-1');
  });

  afterAll(async () => {
    await h?.close();
    await server?.destroy();
  });

  async function expectRejected(
    name: string,
    value: string | object,
    step: string,
    code: string,
    messagePattern?: RegExp,
  ) {
    const secretId = await h.createSecret(`pg/bad-${name}`, value);
    const before = await h.current(secretId);
    const record = await h.rotate(secretId, fn);
    expect(record.outcome).toBe('failed');
    const failed = record.steps.find((s) => !s.ok);
    expect(failed?.step).toBe(step);
    expect(failed?.error?.code).toBe(code);
    if (messagePattern) expect(failed?.error?.message).toMatch(messagePattern);
    expect(failed?.error?.message).not.toContain('bad-inputs-Pw-1');
    expect(await h.current(secretId)).toBe(before);
    expect(await canLogin(server, 'bad_inputs', 'bad-inputs-Pw-1')).toBe(true);
  }

  const base = () => ({
    engine: 'postgres',
    host: '127.0.0.1',
    port: server.port,
    username: 'bad_inputs',
    password: 'bad-inputs-Pw-1',
    ssl: false,
  });

  it('rejects a secret without host', async () => {
    const { host: _host, ...value } = base();
    await expectRejected('no-host', value, 'createSecret', ErrorCode.ERR_SECRET_MALFORMED, /"host"/);
  });

  it('rejects a secret without username', async () => {
    const { username: _username, ...value } = base();
    await expectRejected('no-username', value, 'createSecret', ErrorCode.ERR_SECRET_MALFORMED, /"username"/);
  });

  it('rejects engine mysql', async () => {
    await expectRejected(
      'mysql',
      { ...base(), engine: 'mysql' },
      'createSecret',
      ErrorCode.ERR_UNSUPPORTED_ENGINE,
      /mysql/,
    );
  });

  it('rejects a port that is not a number', async () => {
    await expectRejected(
      'port',
      { ...base(), port: 'fivefourthreetwo' },
      'createSecret',
      ErrorCode.ERR_SECRET_MALFORMED,
      /port/,
    );
  });

  it('rejects a malformed URL', async () => {
    await expectRejected(
      'url',
      `postgresql://bad_inputs:bad-inputs-Pw-1%zz@127.0.0.1:${server.port}/postgres?sslmode=disable`,
      'createSecret',
      ErrorCode.ERR_SECRET_MALFORMED,
      /percent-encoded/,
    );
  });

  it('names the host, the user and the reason for each credential when the host is unreachable', async () => {
    const port = await freePort();
    await expectRejected(
      'unreachable',
      { ...base(), port },
      'setSecret',
      ErrorCode.ERR_TARGET_UNREACHABLE,
      new RegExp(
        `127\\.0\\.0\\.1:${port}.*pending \\(user "bad_inputs"\\): host unreachable.*current \\(user "bad_inputs"\\): host unreachable`,
      ),
    );
  });

  it('names "wrong password" for each credential when none logs in', async () => {
    await expectRejected(
      'wrong-password',
      { ...base(), password: 'not-the-Pw' },
      'setSecret',
      ErrorCode.ERR_NO_WORKING_CREDENTIAL,
      /pending \(user "bad_inputs"\): wrong password.*current \(user "bad_inputs"\): wrong password/,
    );
  });

  it('refuses plaintext when TLS is not disabled: verify-full against a server without TLS fails with a TLS code', async () => {
    const { ssl: _ssl, ...value } = base();
    await expectRejected('no-tls', value, 'setSecret', ErrorCode.ERR_TARGET_TLS, /TLS failure/);
  });

  it('gives up on a server that accepts but never answers within PG_CONNECT_TIMEOUT_MS per login', async () => {
    const sockets: Socket[] = [];
    const blackHole = createServer((socket) => sockets.push(socket));
    await new Promise<void>((resolve) => blackHole.listen(0, '127.0.0.1', resolve));
    try {
      const quick = h.register('pg-single-quick-timeout', { env: { PG_CONNECT_TIMEOUT_MS: '300' } }).arn;
      const secretId = await h.createSecret('pg/bad-timeout', {
        ...base(),
        port: (blackHole.address() as AddressInfo).port,
      });
      const record = await h.rotate(secretId, quick);
      const failed = record.steps.find((s) => !s.ok);
      expect(failed).toMatchObject({ step: 'setSecret', error: { code: ErrorCode.ERR_TARGET_TIMEOUT } });
      expect(failed?.error?.message).toMatch(
        /pending \(user "bad_inputs"\): timeout.*current \(user "bad_inputs"\): timeout/,
      );
      // Two logins (pending, current), each bounded by the 300 ms connect timeout.
      expect(failed?.durationMs).toBeLessThan(2_000);
    } finally {
      for (const socket of sockets) socket.destroy();
      blackHole.close();
    }
  });

  it('bounds a blocked ALTER ROLE by PG_STATEMENT_TIMEOUT_MS and rolls nothing forward', async () => {
    await createLogin(server, 'locked', 'locked-Pw-1');
    const blocker = await connect(server, server.adminUser, server.adminPassword);
    try {
      // An open transaction that changed the role holds its row: our ALTER ROLE waits for it.
      await blocker.query('BEGIN');
      await blocker.query('ALTER ROLE locked CONNECTION LIMIT 5');
      const quick = h.register('pg-single-quick-statement', { env: { PG_STATEMENT_TIMEOUT_MS: '400' } }).arn;
      const secretId = await h.createSecret('pg/bad-locked', {
        ...base(),
        username: 'locked',
        password: 'locked-Pw-1',
      });
      const record = await h.rotate(secretId, quick);
      const failed = record.steps.find((s) => !s.ok);
      expect(failed).toMatchObject({ step: 'setSecret', error: { code: ErrorCode.ERR_TARGET_TIMEOUT } });
      expect(failed?.error?.message).toMatch(
        /ALTER ROLE failed \(timeout\) for current credentials, user "locked"/,
      );
      expect(failed?.durationMs).toBeLessThan(3_000);
    } finally {
      await blocker.query('ROLLBACK');
      await blocker.end();
    }
    expect(await canLogin(server, 'locked', 'locked-Pw-1')).toBe(true);
  });

  it('names "too many connections" for a role at its connection limit', async () => {
    await createLogin(server, 'limited', 'limited-Pw-1');
    await admin(server, ['ALTER ROLE limited CONNECTION LIMIT 0']);
    const secretId = await h.createSecret('pg/bad-limit', {
      ...base(),
      username: 'limited',
      password: 'limited-Pw-1',
    });
    const record = await h.rotate(secretId, fn);
    const failed = record.steps.find((s) => !s.ok);
    expect(failed).toMatchObject({ step: 'setSecret', error: { code: ErrorCode.ERR_NO_WORKING_CREDENTIAL } });
    expect(failed?.error?.message).toMatch(
      /pending \(user "limited"\): wrong password .*current \(user "limited"\): too many connections \[ERR_TARGET_TOO_MANY_CONNECTIONS\]/,
    );
  });

  it('never writes a password to a log line or an error', () => {
    const text = everything(h.log, h.emu.rotations);
    for (const password of ['bad-inputs-Pw-1', 'not-the-Pw', 'limited-Pw-1'])
      expect(text).not.toContain(password);
  });
});
