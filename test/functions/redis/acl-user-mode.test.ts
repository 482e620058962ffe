import { describe, expect, it } from 'vitest';
import { ErrorCode, RotationError } from '../../../shared/errors.ts';
import { createMemoryLog } from '../../../scripts/testbed/memory-observability.ts';
import type { SecretsPort } from '../../../shared/secrets-port.ts';
import { Sensitive } from '../../../shared/sensitive.ts';
import type { RotationContext } from '../../../shared/strategy.ts';
import { createAclUserMode, passwordHash } from '../../../functions/redis/acl-user-mode.ts';
import type { ModeDeps } from '../../../functions/redis/mode-handler.ts';
import { readRedisConfig } from '../../../functions/redis/redis-config.ts';
import { parseRedisSecret, type RedisSecret } from '../../../functions/redis/redis-secret.ts';
import { EnvReader } from '../../../shared/config.ts';
import { addUser, createFakeRedis, sha } from './fake-redis-connector.ts';

const PRIMARY = 7001;
const REPLICA = 7002;
const OLD = 'old-password-value-1';
const CUR = 'current-password-val';
const NEW = 'pending-password-val';

function secret(password: string, extra: Record<string, unknown> = {}): RedisSecret {
  return parseRedisSecret(
    new Sensitive(JSON.stringify({ host: '127.0.0.1', port: PRIMARY, username: 'app', password, ...extra })),
    { versionId: 'v', stage: 'AWSCURRENT' },
  );
}

function context(options: { emergency?: boolean; secrets?: Partial<SecretsPort> } = {}) {
  const logger = createMemoryLog();
  const ctx: RotationContext = {
    secretArn: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:app-AbCdEf',
    secretName: 'app',
    clientRequestToken: 'token-1',
    step: 'setSecret',
    emergency: options.emergency ?? false,
    tags: {},
    logger,
    secrets: (options.secrets ?? {}) as SecretsPort,
    versionIds: { current: 'v1', pending: 'token-1' },
  };
  return { ctx, logger };
}

function setup() {
  const fake = createFakeRedis([PRIMARY, REPLICA]);
  const primary = fake.nodes.get(PRIMARY)!;
  const replica = fake.nodes.get(REPLICA)!;
  primary.replicas = [REPLICA];
  for (const node of [primary, replica]) addUser(node, 'app', [OLD, CUR]);
  const deps: ModeDeps = {
    connector: fake.connector,
    config: readRedisConfig(new EnvReader({})),
    elastiCache: () => {
      throw new Error('not used');
    },
    sleep: async () => undefined,
    now: () => 0,
  };
  return { fake, primary, replica, mode: createAclUserMode(deps) };
}

async function failure(promise: Promise<unknown>): Promise<RotationError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof RotationError) return error;
    throw error;
  }
  throw new Error('expected a failure');
}

describe('ACL-user mode setSecret', () => {
  it('leaves exactly current and pending on every node, primary first, sending only hashes', async () => {
    const { fake, primary, replica, mode } = setup();
    const { ctx } = context();
    await mode.set({ current: secret(CUR), pending: secret(NEW), previous: secret(OLD), context: ctx });
    for (const node of [primary, replica])
      expect([...node.users.get('app')!.passwords].sort()).toEqual([sha(CUR), sha(NEW)].sort());
    const setUsers = fake.commands.filter((c) => c.command === 'ACL' && c.args[0] === 'SETUSER');
    expect(setUsers.map((c) => c.port)).toEqual([PRIMARY, REPLICA]);
    for (const c of setUsers) {
      expect(c.args.slice(0, 3)).toEqual(['SETUSER', 'app', 'resetpass']);
      for (const arg of c.args.slice(3)) expect(arg).toMatch(/^#[0-9a-f]{64}$/);
    }
    const everyArg = fake.commands.flatMap((c) => c.args).join(' ');
    for (const plain of [OLD, CUR, NEW]) expect(everyArg).not.toContain(plain);
    expect(
      fake.commands.filter((c) => c.command === 'ACL' && c.args[0] === 'SAVE').map((c) => c.port),
    ).toEqual([PRIMARY, REPLICA]);
  });

  it('updates masterauth only on replicas that replicate as the rotated user', async () => {
    const { fake, replica, mode } = setup();
    const { ctx } = context();
    replica.masterUser = 'repl';
    await mode.set({ current: secret(CUR), pending: secret(NEW), previous: undefined, context: ctx });
    expect(fake.commands.some((c) => c.args[1] === 'masterauth')).toBe(false);
    replica.masterUser = 'app';
    await mode.set({ current: secret(CUR), pending: secret(NEW), previous: undefined, context: ctx });
    const masterauth = fake.commands.filter(
      (c) => c.command === 'CONFIG' && c.args[0] === 'SET' && c.args[1] === 'masterauth',
    );
    expect(masterauth.map((c) => c.port)).toEqual([REPLICA]);
    expect(masterauth[0]?.args[2]).toBe(NEW);
  });

  it('changes a replica still in its full sync, which the primary lists in INFO replication but not yet in ROLE', async () => {
    const { fake, primary, replica, mode } = setup();
    primary.replicas = [];
    primary.syncing = [REPLICA];
    const { ctx } = context();
    await mode.set({ current: secret(CUR), pending: secret(NEW), previous: secret(OLD), context: ctx });
    for (const node of [primary, replica])
      expect([...node.users.get('app')!.passwords].sort()).toEqual([sha(CUR), sha(NEW)].sort());
    expect(fake.commands.filter((c) => c.args[0] === 'SETUSER').map((c) => c.port)).toEqual([
      PRIMARY,
      REPLICA,
    ]);
  });

  it('without +info, changes the replicas ROLE lists and warns that syncing replicas are missed', async () => {
    const { primary, replica, mode } = setup();
    primary.denied = ['INFO REPLICATION'];
    const { ctx, logger } = context();
    await mode.set({ current: secret(CUR), pending: secret(NEW), previous: secret(OLD), context: ctx });
    for (const node of [primary, replica])
      expect([...node.users.get('app')!.passwords].sort()).toEqual([sha(CUR), sha(NEW)].sort());
    expect(logger.lines.some((line) => line.includes('Grant +info'))).toBe(true);
  });

  it('hashes with SHA-256 of the UTF-8 password, as Redis does for >password', () => {
    expect(passwordHash(new Sensitive('pässwörd')).reveal()).toBe(`#${sha('pässwörd')}`);
  });

  it('is idempotent: running it twice leaves the same two passwords', async () => {
    const { primary, replica, mode } = setup();
    const { ctx } = context();
    await mode.set({ current: secret(CUR), pending: secret(NEW), previous: undefined, context: ctx });
    await mode.set({ current: secret(CUR), pending: secret(NEW), previous: undefined, context: ctx });
    for (const node of [primary, replica])
      expect([...node.users.get('app')!.passwords].sort()).toEqual([sha(CUR), sha(NEW)].sort());
  });

  it('falls back to the pending password on a node where current no longer opens', async () => {
    const { fake, primary, replica, mode } = setup();
    addUser(replica, 'app', [NEW]);
    const { ctx } = context();
    await mode.set({ current: secret(CUR), pending: secret(NEW), previous: undefined, context: ctx });
    expect([...replica.users.get('app')!.passwords].sort()).toEqual([sha(CUR), sha(NEW)].sort());
    expect(primary.users.get('app')!.passwords.size).toBe(2);
    expect(fake.opened).toContain(REPLICA);
  });

  it('opens every node before changing any: an unreachable replica changes nothing', async () => {
    const { fake, primary, replica, mode } = setup();
    replica.reachable = false;
    const { ctx } = context();
    const error = await failure(
      mode.set({ current: secret(CUR), pending: secret(NEW), previous: undefined, context: ctx }),
    );
    expect(error.code).toBe(ErrorCode.ERR_TARGET_UNREACHABLE);
    expect(fake.commands.some((c) => c.args[0] === 'SETUSER')).toBe(false);
    expect(primary.users.get('app')!.passwords.has(sha(OLD))).toBe(true);
  });

  it('names the fix when the user may not manage its own ACL', async () => {
    const { fake, primary, replica, mode } = setup();
    for (const node of [primary, replica]) addUser(node, 'app', [CUR], false);
    const { ctx } = context();
    const error = await failure(
      mode.set({ current: secret(CUR), pending: secret(NEW), previous: undefined, context: ctx }),
    );
    expect(error.code).toBe(ErrorCode.ERR_TARGET_PERMISSION_DENIED);
    expect(error.message).toContain('adminSecretArn');
    expect(error.message).not.toContain(CUR);
    expect(fake.commands.some((c) => c.args[0] === 'SETUSER')).toBe(false);
  });

  it('reports a missing user with ERR_TARGET_ROLE_MISSING', async () => {
    const { primary, mode } = setup();
    addUser(primary, 'admin', ['admin-password-0001']);
    const { ctx } = context({
      secrets: {
        getSecretValue: async () => ({
          ARN: 'a',
          VersionId: 'x',
          VersionStages: ['AWSCURRENT'],
          SecretString: new Sensitive('redis://admin:admin-password-0001@127.0.0.1:7001'),
        }),
      },
    });
    const ghost = (password: string) => secret(password, { username: 'ghost', adminSecretArn: 'arn:admin' });
    const error = await failure(
      mode.set({ current: ghost(CUR), pending: ghost(NEW), previous: undefined, context: ctx }),
    );
    expect(error.code).toBe(ErrorCode.ERR_TARGET_ROLE_MISSING);
  });

  it('uses the admin secret when the secret names one, for a user that cannot manage itself', async () => {
    const { fake, primary, replica, mode } = setup();
    for (const node of [primary, replica]) {
      addUser(node, 'app', [CUR], false);
      addUser(node, 'admin', ['admin-password-0001']);
    }
    const { ctx } = context({
      secrets: {
        getSecretValue: async () => ({
          ARN: 'a',
          VersionId: 'x',
          VersionStages: ['AWSCURRENT'],
          SecretString: new Sensitive(
            JSON.stringify({
              host: '127.0.0.1',
              port: PRIMARY,
              username: 'admin',
              password: 'admin-password-0001',
            }),
          ),
        }),
      },
    });
    const withAdmin = (password: string) => secret(password, { adminSecretArn: 'arn:admin' });
    await mode.set({ current: withAdmin(CUR), pending: withAdmin(NEW), previous: undefined, context: ctx });
    expect(new Set(fake.commands.map((c) => c.user))).toEqual(new Set(['admin']));
    expect(replica.users.get('app')!.passwords.has(sha(NEW))).toBe(true);
  });

  describe('sends the admin credential only to the admin secret server and the replicas it reports', () => {
    const OTHER = 7003;
    function adminSetup() {
      const { fake, primary, replica, mode } = setup();
      fake.nodes.set(OTHER, { ...primary, port: OTHER, users: new Map(), replicas: [], syncing: [] });
      for (const node of [primary, replica, fake.nodes.get(OTHER)!]) {
        addUser(node, 'app', [CUR], false);
        addUser(node, 'admin', ['admin-password-0001']);
      }
      const { ctx } = context({
        secrets: {
          getSecretValue: async () => ({
            ARN: 'a',
            VersionId: 'x',
            VersionStages: ['AWSCURRENT'],
            SecretString: new Sensitive(`redis://admin:admin-password-0001@127.0.0.1:${PRIMARY}`),
          }),
        },
      });
      return { fake, mode, ctx };
    }

    it('refuses a user secret whose host is another server, before connecting anywhere', async () => {
      const { fake, mode, ctx } = adminSetup();
      const elsewhere = (password: string) => secret(password, { port: OTHER, adminSecretArn: 'arn:admin' });
      const error = await failure(
        mode.set({ current: elsewhere(CUR), pending: elsewhere(NEW), previous: undefined, context: ctx }),
      );
      expect(error.code).toBe(ErrorCode.ERR_TARGET_NOT_ALLOWED);
      expect(fake.opened).toEqual([]);
    });

    it('refuses a listed node the admin server does not report, before changing anything', async () => {
      const { fake, mode, ctx } = adminSetup();
      const listing = (password: string) =>
        secret(password, {
          nodes: [`127.0.0.1:${REPLICA}`, `127.0.0.1:${OTHER}`],
          adminSecretArn: 'arn:admin',
        });
      const error = await failure(
        mode.set({ current: listing(CUR), pending: listing(NEW), previous: undefined, context: ctx }),
      );
      expect(error.code).toBe(ErrorCode.ERR_TARGET_NOT_ALLOWED);
      expect(error.message).toContain(`127.0.0.1:${OTHER}`);
      expect(fake.opened).toEqual([PRIMARY]);
      expect(fake.commands.some((c) => c.command === 'ACL' && c.args[0] === 'SETUSER')).toBe(false);
    });

    it('accepts listed nodes the admin server reports as its replicas', async () => {
      const { fake, mode, ctx } = adminSetup();
      const listing = (password: string) =>
        secret(password, { nodes: [`127.0.0.1:${REPLICA}`], adminSecretArn: 'arn:admin' });
      await mode.set({ current: listing(CUR), pending: listing(NEW), previous: undefined, context: ctx });
      expect(fake.nodes.get(REPLICA)!.users.get('app')!.passwords.has(sha(NEW))).toBe(true);
      expect(fake.opened).not.toContain(OTHER);
    });
  });

  it('refuses an admin secret that is not a Redis secret, without echoing it', async () => {
    const { mode } = setup();
    const { ctx } = context({
      secrets: {
        getSecretValue: async () => ({
          ARN: 'a',
          VersionId: 'x',
          VersionStages: ['AWSCURRENT'],
          SecretString: new Sensitive('plain-admin-text'),
        }),
      },
    });
    const withAdmin = (password: string) => secret(password, { adminSecretArn: 'arn:admin' });
    const error = await failure(
      mode.set({ current: withAdmin(CUR), pending: withAdmin(NEW), previous: undefined, context: ctx }),
    );
    expect(error.code).toBe(ErrorCode.ERR_ADMIN_SECRET_INVALID);
    expect(error.message).not.toContain('plain-admin-text');
  });

  it('refuses a pending value for another user', async () => {
    const { mode } = setup();
    const { ctx } = context();
    const error = await failure(
      mode.set({
        current: secret(CUR),
        pending: secret(NEW, { username: 'other' }),
        previous: undefined,
        context: ctx,
      }),
    );
    expect(error.code).toBe(ErrorCode.ERR_SECRET_IDENTITY_CHANGED);
  });
});

describe('ACL-user mode finishSecret', () => {
  it('does nothing on a scheduled rotation', async () => {
    const { fake, mode } = setup();
    const { ctx } = context();
    await mode.finish({ current: secret(CUR), previous: secret(OLD), context: ctx });
    expect(fake.commands).toEqual([]);
  });

  it('in an emergency keeps only the new password and kills the user connections on every node', async () => {
    const { fake, primary, replica, mode } = setup();
    for (const node of [primary, replica]) addUser(node, 'app', [CUR, NEW]);
    const { ctx, logger } = context({ emergency: true });
    await mode.finish({ current: secret(NEW), previous: secret(CUR), context: ctx });
    for (const node of [primary, replica]) expect([...node.users.get('app')!.passwords]).toEqual([sha(NEW)]);
    const kills = fake.commands.filter((c) => c.command === 'CLIENT');
    expect(kills.map((c) => c.port)).toEqual([PRIMARY, PRIMARY, REPLICA, REPLICA]);
    expect(kills[0]?.args).toEqual(['KILL', 'USER', 'app', 'TYPE', 'normal', 'SKIPME', 'yes']);
    expect(logger.lines.join('\n')).not.toContain(NEW);
  });
});
