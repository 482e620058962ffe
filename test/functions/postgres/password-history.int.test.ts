import { randomBytes } from 'node:crypto';
import { SecretsManagerClient, type ListSecretVersionIdsCommandInput } from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DEFAULT_PASSWORD_POLICY,
  passwordPolicyViolations,
  type PasswordGenerator,
} from '../../../shared/password.ts';
import { createSdkSecretsPort } from '../../../shared/sdk-secrets-port.ts';
import { Sensitive } from '../../../shared/sensitive.ts';
import { startPostgres, type PostgresServer } from '../../../scripts/testbed/servers.ts';
import {
  canLogin,
  createLogin,
  credentialsOf,
  everything,
  startPgHarness,
  type PgHarness,
} from './postgres-harness.ts';

// PCI DSS 8.3.7 end to end: RotateSecret on the emulator, a real PostgreSQL 15 user, and a
// password generator that replays old passwords first. The reuse check must see the last
// four passwords of the user, three of them only in deprecated versions.

/** Fresh policy-compliant passwords, unless a replay is queued: then those come first. */
function replayingGenerator(): PasswordGenerator & { replay: string[]; offered: string[] } {
  const generator = {
    replay: [] as string[],
    offered: [] as string[],
    async generate() {
      const value = generator.replay.shift() ?? `Fr${randomBytes(12).toString('hex')}#9`.padEnd(32, 'k');
      generator.offered.push(value);
      return new Sensitive(value);
    },
  };
  return generator;
}

describe('password reuse through RotateSecret against a real PostgreSQL', () => {
  let server: PostgresServer;
  let h: PgHarness;
  const records: Awaited<ReturnType<PgHarness['rotate']>>[] = [];
  const known: string[] = [];

  beforeAll(async () => {
    server = await startPostgres();
    h = await startPgHarness();
  });

  afterAll(async () => {
    await h?.close();
    await server?.destroy();
  });

  async function rotate(secretId: string, fn: string): Promise<string> {
    const record = await h.rotate(secretId, fn);
    records.push(record);
    expect(record.outcome, JSON.stringify(record.steps)).toBe('succeeded');
    const password = credentialsOf(await h.current(secretId)).password;
    known.push(password);
    return password;
  }

  it('after five rotations refuses each of the last four passwords and allows the fifth-oldest', async () => {
    const generator = replayingGenerator();
    const fn = h.register('pg-history', { passwords: generator }).arn;
    const initial = 'Initial-Pw-0!aaaaaaaaaaaaaaaaaaa';
    known.push(initial);
    await createLogin(server, 'app_history', initial);
    const secretId = await h.createSecret('pg/history', {
      host: '127.0.0.1',
      port: server.port,
      username: 'app_history',
      password: initial,
      ssl: false,
    });
    const passwords = [initial];
    for (let n = 1; n <= 5; n += 1) passwords.push(await rotate(secretId, fn));
    // passwords[5] is AWSCURRENT, [4] AWSPREVIOUS, [3], [2], [1], [0] deprecated.
    expect(new Set(passwords).size).toBe(6);

    generator.replay.push(
      passwords[5] as string,
      passwords[4] as string,
      passwords[3] as string,
      passwords[2] as string,
    );
    generator.offered.length = 0;
    const sixth = await rotate(secretId, fn);
    expect(generator.offered).toHaveLength(5);
    expect(passwords).not.toContain(sixth);
    expect(passwordPolicyViolations(sixth, DEFAULT_PASSWORD_POLICY)).toEqual([]);
    expect(await canLogin(server, 'app_history', sixth)).toBe(true);

    // The window is now sixth, [5], [4], [3]: [2] is the fifth-oldest and may come back.
    generator.replay.push(passwords[2] as string);
    generator.offered.length = 0;
    const seventh = await rotate(secretId, fn);
    expect(seventh).toBe(passwords[2]);
    expect(generator.offered).toHaveLength(1);
    expect(await canLogin(server, 'app_history', seventh)).toBe(true);
    expect(await canLogin(server, 'app_history', sixth)).toBe(false);
  });

  it("alternating users: refuses the pending login's last four passwords and allows its fifth-oldest", async () => {
    const generator = replayingGenerator();
    const fn = h.register('pg-history-alternating', { passwords: generator }).arn;
    const adminArn = await h.createSecret('pg/history-admin', {
      host: '127.0.0.1',
      port: server.port,
      username: server.adminUser,
      password: server.adminPassword,
      ssl: false,
    });
    const initial = 'Initial-Pw-2!ccccccccccccccccccc';
    known.push(initial);
    await createLogin(server, 'app_alt', initial);
    const secretId = await h.createSecret('pg/history-alternating', {
      host: '127.0.0.1',
      port: server.port,
      username: 'app_alt',
      password: initial,
      masterarn: adminArn,
      ssl: false,
    });
    const passwords = [initial];
    // Odd rotations set app_alt_clone, even ones app_alt; after eight, app_alt is current.
    for (let n = 1; n <= 8; n += 1) passwords.push(await rotate(secretId, fn));
    expect(credentialsOf(await h.current(secretId)).username).toBe('app_alt');

    generator.replay.push(
      passwords[7] as string,
      passwords[5] as string,
      passwords[3] as string,
      passwords[1] as string,
    );
    generator.offered.length = 0;
    const ninth = await rotate(secretId, fn);
    expect(generator.offered).toHaveLength(5);
    expect(passwords).not.toContain(ninth);
    expect(credentialsOf(await h.current(secretId)).username).toBe('app_alt_clone');
    expect(await canLogin(server, 'app_alt_clone', ninth)).toBe(true);

    // app_alt's window is passwords[8], [6], [4], [2]: the initial password is its fifth-oldest.
    generator.replay.push(initial);
    generator.offered.length = 0;
    expect(await rotate(secretId, fn)).toBe(initial);
    expect(generator.offered).toHaveLength(1);
    expect(await canLogin(server, 'app_alt', initial)).toBe(true);
  });

  it('without ListSecretVersionIds rotation goes on, checks only the labelled versions and warns', async () => {
    // The real SDK port over a client that is denied ListSecretVersionIds, as an IAM policy without the grant would be.
    const denied = new SecretsManagerClient({
      endpoint: h.emu.endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
      maxAttempts: 1,
    });
    denied.middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName === 'ListSecretVersionIdsCommand') {
          const input = args.input as ListSecretVersionIdsCommandInput;
          throw Object.assign(
            new Error(
              `User is not authorized to perform: secretsmanager:ListSecretVersionIds on resource: ${input.SecretId ?? ''}`,
            ),
            { name: 'AccessDeniedException' },
          );
        }
        return next(args);
      },
      { step: 'initialize', name: 'denyListSecretVersionIds' },
    );
    const generator = replayingGenerator();
    const fn = h.register('pg-history-denied', {
      passwords: generator,
      secrets: () => createSdkSecretsPort(denied),
    }).arn;
    const initial = 'Initial-Pw-1!bbbbbbbbbbbbbbbbbbb';
    known.push(initial);
    await createLogin(server, 'app_denied', initial);
    const secretId = await h.createSecret('pg/history-denied', {
      host: '127.0.0.1',
      port: server.port,
      username: 'app_denied',
      password: initial,
      ssl: false,
    });
    const passwords = [initial];
    const before = h.log.lines.length;
    for (let n = 1; n <= 3; n += 1) passwords.push(await rotate(secretId, fn));

    // AWSCURRENT is still refused; the deprecated passwords[1] is not visible and gets through.
    generator.replay.push(passwords[3] as string, passwords[1] as string);
    generator.offered.length = 0;
    expect(await rotate(secretId, fn)).toBe(passwords[1]);
    expect(generator.offered).toHaveLength(2);
    expect(await canLogin(server, 'app_denied', passwords[1] as string)).toBe(true);

    const warnings = h.log.lines
      .slice(before)
      .map((line) => JSON.parse(line) as Record<string, unknown>)
      .filter((line) => line['level'] === 'WARN' && String(line['message']).includes('password history'));
    expect(warnings).toHaveLength(4);
    expect(warnings[0]).toMatchObject({ user: 'app_denied', error: 'AccessDeniedException' });
    denied.destroy();
  });

  it('never logs a password', () => {
    const text = everything(h.log, records);
    for (const password of known) expect(text).not.toContain(password);
  });
});
