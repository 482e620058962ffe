import { randomBytes } from 'node:crypto';
import type { Env } from '../../shared/config.ts';
import type { Step } from '../../shared/constants.ts';
import { ErrorCode } from '../../shared/errors.ts';

/**
 * The bad-input catalogue: malformed events, secret values of every kind (JSON and URL),
 * configuration variables, admin secrets and hostile server answers. Each case names the
 * stable error code it must end in; bad-inputs.int.test.ts asserts that code and that the
 * secret's versions, labels and values and the target's credentials are unchanged.
 */

export const Category = {
  event: 'event',
  jwtSecret: 'jwt secret',
  postgresSecret: 'postgres secret',
  redisSecret: 'redis secret',
  config: 'config',
  adminSecret: 'admin secret',
  serverAnswer: 'server answer',
} as const;
export type Category = (typeof Category)[keyof typeof Category];

export type FunctionName = 'jwt' | 'postgres' | 'redis';

/** What a case can build its values from: a PostgreSQL role and a Redis ACL user made for it alone. */
export interface CaseContext {
  readonly pg: {
    readonly host: string;
    readonly port: number;
    readonly adminUser: string;
    readonly adminPassword: string;
  };
  readonly redis: {
    readonly host: string;
    readonly port: number;
    readonly adminUser: string;
    readonly adminPassword: string;
  };
  /** A plain TCP listener that records what it receives: a server the secret's author controls. */
  readonly listener: { readonly host: string; readonly port: number };
  /** Record a secret value the case made (whole and by fragment) for the leak check; returns it. */
  secret(value: string): string;
  /** The ARNs of the secrets createSecret made, by the name it was given. */
  readonly createdArns: Readonly<Record<string, string>>;
  /** A PostgreSQL login role and Redis ACL user, both named this, with `password`. */
  readonly user: string;
  readonly password: string;
  /** A TCP port where nothing listens. */
  readonly closedPort: number;
  /** A fake Redis that answers every command with an error. */
  readonly erroringRedisPort: number;
  /** Create another secret (admin secrets); resolves its ARN. */
  createSecret(name: string, value: string | Uint8Array): Promise<string>;
  /** Run SQL as the PostgreSQL superuser (arrange only). */
  pgAdmin(sql: string): Promise<void>;
  /** Run a command as the Redis admin (arrange only). */
  redisAdmin(...args: string[]): Promise<void>;
}

export interface EventContext {
  readonly arn: string;
  /** The version holding AWSPENDING (the rotation in progress). */
  readonly pendingToken: string;
  /** The version holding AWSPREVIOUS, when the case's state has one. */
  readonly previousToken: string | undefined;
}

/** The state of the secret when the step runs. */
export const SecretState = {
  /** RotateSecret's empty AWSPENDING placeholder: a rotation just started. */
  placeholder: 'placeholder',
  /** Current + previous, no rotation in progress. */
  idle: 'idle',
  /** RotateSecret started, then rotation was turned off (CancelRotateSecret). */
  disabled: 'disabled',
} as const;
export type SecretState = (typeof SecretState)[keyof typeof SecretState];

export interface BadInputCase {
  readonly name: string;
  readonly category: Category;
  readonly fn: FunctionName;
  readonly expected: ErrorCode;
  /** AWSCURRENT's value. Default: a valid value for the function. */
  readonly current?: (ctx: CaseContext) => string | Uint8Array | Promise<string | Uint8Array>;
  /** AWSPENDING's value, stored before the step (set/test cases). */
  readonly pending?: (ctx: CaseContext) => string;
  /** Steps run (and expected to succeed) before the failing one; the snapshot is taken after them. */
  readonly before?: readonly Step[];
  readonly step?: Step;
  /** Extra environment; a function is called after `current` (it may name a secret `current` created). */
  readonly env?: Env | ((ctx: CaseContext) => Env);
  readonly state?: SecretState;
  readonly arrange?: (ctx: CaseContext) => Promise<void>;
  /** A raw event instead of `{Step, SecretId, ClientRequestToken}`. */
  readonly event?: (ctx: EventContext) => unknown;
  /** The recording listener must not even be connected to (the attacks of issue 14). */
  readonly listenerUntouched?: boolean;
}

const b64 = (bytes: number): string => randomBytes(bytes).toString('base64');
/** Passwords are random through and through: the leak check also looks for every 6-character run of them. */
const randomPassword = (): string => `P${randomBytes(15).toString('base64url')}`;
const WEAK_ADMIN_PASSWORD = randomPassword();
/** Six random letters and digits: the pieces of a password written raw into a URL. */
const piece = (): string =>
  randomBytes(9)
    .toString('base64')
    .replace(/[^A-Za-z0-9]/g, 'x')
    .slice(0, 8);
const redisAdminSecret = (c: CaseContext): Promise<string> =>
  c.createSecret(
    'redis-admin',
    JSON.stringify({
      host: c.redis.host,
      port: c.redis.port,
      username: c.redis.adminUser,
      password: c.redis.adminPassword,
    }),
  );
const pgAdminSecret = (c: CaseContext, extra: Record<string, unknown> = {}): Promise<string> =>
  c.createSecret(
    'pg-admin',
    JSON.stringify({
      engine: 'postgres',
      host: c.pg.host,
      port: c.pg.port,
      username: c.pg.adminUser,
      password: c.pg.adminPassword,
      ...extra,
    }),
  );
const b64url = (bytes: number): string => randomBytes(bytes).toString('base64url');
const pgJson = (ctx: CaseContext, extra: Record<string, unknown> = {}): string =>
  JSON.stringify({
    engine: 'postgres',
    host: ctx.pg.host,
    port: ctx.pg.port,
    username: ctx.user,
    password: ctx.password,
    dbname: 'postgres',
    ssl: false,
    ...extra,
  });
const redisJson = (ctx: CaseContext, extra: Record<string, unknown> = {}): string =>
  JSON.stringify({
    host: ctx.redis.host,
    port: ctx.redis.port,
    username: ctx.user,
    password: ctx.password,
    mode: 'acl',
    ...extra,
  });
const hmacKey = (kid: string, status: string, k = b64url(64)) => ({
  kid,
  alg: 'HS256',
  createdAt: '2026-01-01T00:00:00Z',
  status,
  k,
});
const keyring = (keys: unknown[], format = 'jwt-keyring/v1'): string => JSON.stringify({ format, keys });
/** `json` (an object) with `extra` appended raw: keys it already has are then given twice. */
const withRepeated = (json: string, extra: Record<string, unknown>): string =>
  `${json.slice(0, -1)},${JSON.stringify(extra).slice(1)}`;

export function validCurrent(fn: FunctionName, ctx: CaseContext): string {
  switch (fn) {
    case 'jwt':
      return b64(64);
    case 'postgres':
      return pgJson(ctx);
    case 'redis':
      return redisJson(ctx);
  }
}

const E = ErrorCode;
const event = (ctx: EventContext, fields: Record<string, unknown>): unknown => ({
  Step: 'createSecret',
  SecretId: ctx.arn,
  ClientRequestToken: ctx.pendingToken,
  ...fields,
});

export const BAD_INPUTS: readonly BadInputCase[] = [
  // --- Events (run through the JWT function; the core rejects them before any work) ---
  {
    name: 'event is null',
    category: Category.event,
    fn: 'jwt',
    expected: E.ERR_EVENT_INVALID,
    event: () => null,
  },
  {
    name: 'event is an array',
    category: Category.event,
    fn: 'jwt',
    expected: E.ERR_EVENT_INVALID,
    event: (c) => [event(c, {})],
  },
  {
    name: 'event is a JSON string',
    category: Category.event,
    fn: 'jwt',
    expected: E.ERR_EVENT_INVALID,
    event: (c) => JSON.stringify(event(c, {})),
  },
  {
    name: 'Step missing',
    category: Category.event,
    fn: 'jwt',
    expected: E.ERR_EVENT_INVALID,
    event: (c) => ({ SecretId: c.arn, ClientRequestToken: c.pendingToken }),
  },
  {
    name: 'SecretId missing',
    category: Category.event,
    fn: 'jwt',
    expected: E.ERR_EVENT_INVALID,
    event: (c) => ({ Step: 'createSecret', ClientRequestToken: c.pendingToken }),
  },
  {
    name: 'ClientRequestToken missing',
    category: Category.event,
    fn: 'jwt',
    expected: E.ERR_EVENT_INVALID,
    event: (c) => ({ Step: 'createSecret', SecretId: c.arn }),
  },
  {
    name: 'Step is a number',
    category: Category.event,
    fn: 'jwt',
    expected: E.ERR_EVENT_INVALID,
    event: (c) => event(c, { Step: 1 }),
  },
  {
    name: 'SecretId is an object',
    category: Category.event,
    fn: 'jwt',
    expected: E.ERR_EVENT_INVALID,
    event: (c) => event(c, { SecretId: { arn: c.arn } }),
  },
  {
    name: 'ClientRequestToken is empty',
    category: Category.event,
    fn: 'jwt',
    expected: E.ERR_EVENT_INVALID,
    event: (c) => event(c, { ClientRequestToken: '' }),
  },
  {
    name: 'RotationToken is a number',
    category: Category.event,
    fn: 'jwt',
    expected: E.ERR_EVENT_INVALID,
    event: (c) => event(c, { RotationToken: 42 }),
  },
  {
    name: 'Step in snake_case (finish_secret)',
    category: Category.event,
    fn: 'jwt',
    expected: E.ERR_STEP_UNKNOWN,
    event: (c) => event(c, { Step: 'finish_secret' }),
  },
  {
    name: 'Step with wrong case (CreateSecret)',
    category: Category.event,
    fn: 'jwt',
    expected: E.ERR_STEP_UNKNOWN,
    event: (c) => event(c, { Step: 'CreateSecret' }),
  },
  {
    name: 'token is not a version of the secret',
    category: Category.event,
    fn: 'jwt',
    expected: E.ERR_TOKEN_UNKNOWN,
    event: (c) => event(c, { ClientRequestToken: 'f'.repeat(36) }),
  },
  {
    name: 'token of AWSPREVIOUS with no rotation in progress',
    category: Category.event,
    fn: 'jwt',
    expected: E.ERR_TOKEN_NOT_PENDING,
    state: SecretState.idle,
    event: (c) => event(c, { ClientRequestToken: c.previousToken }),
  },
  {
    name: 'token of an old version while another rotation is pending',
    category: Category.event,
    fn: 'jwt',
    expected: E.ERR_ROTATION_CONFLICT,
    state: SecretState.placeholder,
    before: [],
    event: (c) => event(c, { ClientRequestToken: c.previousToken }),
  },
  {
    name: 'rotation turned off (RotationEnabled false)',
    category: Category.event,
    fn: 'jwt',
    expected: E.ERR_ROTATION_NOT_ENABLED,
    state: SecretState.disabled,
  },
  {
    name: 'secret does not exist',
    category: Category.event,
    fn: 'jwt',
    expected: E.ERR_SECRETS_MANAGER,
    event: (c) => event(c, { SecretId: `${c.arn}-gone` }),
  },
  {
    name: 'setSecret before createSecret stored a value',
    category: Category.event,
    fn: 'jwt',
    expected: E.ERR_PENDING_MISSING,
    step: 'setSecret',
  },

  // --- JWT secret values ---
  {
    name: 'JWT plain value is only spaces',
    category: Category.jwtSecret,
    fn: 'jwt',
    expected: E.ERR_SECRET_MALFORMED,
    current: () => '    ',
  },
  {
    name: 'JWT value is a JSON array',
    category: Category.jwtSecret,
    fn: 'jwt',
    expected: E.ERR_SECRET_MALFORMED,
    current: () => `["${b64(64)}"]`,
  },
  {
    name: 'JWT value starts with { but is not JSON',
    category: Category.jwtSecret,
    fn: 'jwt',
    expected: E.ERR_SECRET_MALFORMED,
    current: () => `{"JWT_SECRET": "${b64(64)}"`,
  },
  {
    name: 'JWT JSON without any key field',
    category: Category.jwtSecret,
    fn: 'jwt',
    expected: E.ERR_SECRET_MALFORMED,
    current: () => JSON.stringify({ issuer: 'x', audience: 'y' }),
  },
  {
    name: 'JWT key field is a number',
    category: Category.jwtSecret,
    fn: 'jwt',
    expected: E.ERR_SECRET_MALFORMED,
    current: () => JSON.stringify({ JWT_SECRET: 12345678 }),
  },
  {
    name: 'JWT key field is empty',
    category: Category.jwtSecret,
    fn: 'jwt',
    expected: E.ERR_SECRET_MALFORMED,
    current: () => JSON.stringify({ JWT_SECRET: '  ' }),
  },
  {
    name: 'JWT_KEY_FIELDS names a field the secret lacks',
    category: Category.jwtSecret,
    fn: 'jwt',
    expected: E.ERR_SECRET_MALFORMED,
    env: { JWT_KEY_FIELDS: 'SIGNING_KEY' },
    current: () => JSON.stringify({ JWT_SECRET: b64(64) }),
  },
  {
    name: 'keyring of an unknown format version',
    category: Category.jwtSecret,
    fn: 'jwt',
    expected: E.ERR_SECRET_MALFORMED,
    current: () => keyring([hmacKey('a', 'current')], 'jwt-keyring/v2'),
  },
  {
    name: 'keyring with no keys',
    category: Category.jwtSecret,
    fn: 'jwt',
    expected: E.ERR_SECRET_MALFORMED,
    current: () => keyring([]),
  },
  {
    name: 'keyring with two current keys',
    category: Category.jwtSecret,
    fn: 'jwt',
    expected: E.ERR_SECRET_MALFORMED,
    current: () => keyring([hmacKey('a', 'current'), hmacKey('b', 'current')]),
  },
  {
    name: 'keyring key with an unknown alg',
    category: Category.jwtSecret,
    fn: 'jwt',
    expected: E.ERR_SECRET_MALFORMED,
    current: () => keyring([{ ...hmacKey('a', 'current'), alg: 'none' }]),
  },
  {
    name: 'keyring HMAC key not base64url',
    category: Category.jwtSecret,
    fn: 'jwt',
    expected: E.ERR_SECRET_MALFORMED,
    current: () => keyring([hmacKey('a', 'current', `${b64url(30)}!!`)]),
  },
  {
    name: 'keyring RS256 key without privateJwk',
    category: Category.jwtSecret,
    fn: 'jwt',
    expected: E.ERR_SECRET_MALFORMED,
    current: () =>
      keyring([{ kid: 'a', alg: 'RS256', createdAt: '2026-01-01T00:00:00Z', status: 'current' }]),
  },
  {
    name: 'keyring with a repeated kid',
    category: Category.jwtSecret,
    fn: 'jwt',
    expected: E.ERR_SECRET_MALFORMED,
    current: () => keyring([hmacKey('a', 'current'), hmacKey('a', 'previous')]),
  },
  {
    name: 'JWT secret stored as SecretBinary',
    category: Category.jwtSecret,
    fn: 'jwt',
    expected: E.ERR_SECRET_BINARY_UNSUPPORTED,
    current: () => randomBytes(64),
  },
  {
    name: 'JWT pending value malformed at testSecret',
    category: Category.jwtSecret,
    fn: 'jwt',
    expected: E.ERR_SECRET_MALFORMED,
    step: 'testSecret',
    pending: () => '[]',
  },

  // --- Configuration variables ---
  {
    name: 'JWT_HMAC_KEY_BYTES below the minimum',
    category: Category.config,
    fn: 'jwt',
    expected: E.ERR_CONFIG_INVALID,
    env: { JWT_HMAC_KEY_BYTES: '32' },
  },
  {
    name: 'JWT_RSA_MODULUS_BITS 1024',
    category: Category.config,
    fn: 'jwt',
    expected: E.ERR_CONFIG_INVALID,
    env: { JWT_RSA_MODULUS_BITS: '1024' },
  },
  {
    name: 'PASSWORD_LENGTH not a number',
    category: Category.config,
    fn: 'postgres',
    expected: E.ERR_CONFIG_INVALID,
    env: { PASSWORD_LENGTH: 'long' },
  },
  {
    name: 'every character type excluded',
    category: Category.config,
    fn: 'postgres',
    expected: E.ERR_CONFIG_INVALID,
    env: {
      EXCLUDE_NUMBERS: 'true',
      EXCLUDE_PUNCTUATION: 'true',
      EXCLUDE_UPPERCASE: 'true',
      EXCLUDE_LOWERCASE: 'true',
    },
  },
  {
    name: 'SECRETS_MANAGER_ENDPOINT not http(s)',
    category: Category.config,
    fn: 'redis',
    expected: E.ERR_CONFIG_INVALID,
    env: { SECRETS_MANAGER_ENDPOINT: 'ftp://127.0.0.1' },
  },
  {
    name: 'POWERTOOLS_LOG_LEVEL unknown',
    category: Category.config,
    fn: 'jwt',
    expected: E.ERR_CONFIG_INVALID,
    env: { POWERTOOLS_LOG_LEVEL: 'LOUD' },
  },
  {
    name: 'REDIS_MODE unknown',
    category: Category.config,
    fn: 'redis',
    expected: E.ERR_CONFIG_INVALID,
    env: { REDIS_MODE: 'cluster' },
  },
  {
    name: 'REDIS_TEST_COMMAND with arguments',
    category: Category.config,
    fn: 'redis',
    expected: E.ERR_CONFIG_INVALID,
    env: { REDIS_TEST_COMMAND: 'FLUSHALL ASYNC' },
  },
  {
    name: 'REDIS_CONNECT_TIMEOUT_MS out of range',
    category: Category.config,
    fn: 'redis',
    expected: E.ERR_CONFIG_INVALID,
    env: { REDIS_CONNECT_TIMEOUT_MS: '5' },
  },
  {
    name: 'PG_STATEMENT_TIMEOUT_MS not a number',
    category: Category.config,
    fn: 'postgres',
    expected: E.ERR_CONFIG_INVALID,
    env: { PG_STATEMENT_TIMEOUT_MS: 'soon' },
  },
  {
    name: 'PG_TEST_QUERY with two statements',
    category: Category.config,
    fn: 'postgres',
    expected: E.ERR_CONFIG_INVALID,
    env: { PG_TEST_QUERY: 'SELECT 1; DROP TABLE t' },
  },
  {
    name: 'PG_SSL_MODE unknown',
    category: Category.config,
    fn: 'postgres',
    expected: E.ERR_CONFIG_INVALID,
    env: { PG_SSL_MODE: 'maybe' },
  },
  {
    name: 'PG_ROTATION_STRATEGY unknown',
    category: Category.config,
    fn: 'postgres',
    expected: E.ERR_CONFIG_INVALID,
    env: { PG_ROTATION_STRATEGY: 'triple-users' },
  },

  // --- PostgreSQL secret values ---
  {
    name: 'PostgreSQL JSON without password',
    category: Category.postgresSecret,
    fn: 'postgres',
    expected: E.ERR_SECRET_MALFORMED,
    current: (c) => JSON.stringify({ ...JSON.parse(pgJson(c)), password: undefined }),
  },
  {
    name: 'PostgreSQL JSON without host',
    category: Category.postgresSecret,
    fn: 'postgres',
    expected: E.ERR_SECRET_MALFORMED,
    current: (c) => JSON.stringify({ ...JSON.parse(pgJson(c)), host: undefined }),
  },
  {
    name: 'PostgreSQL port is not a number',
    category: Category.postgresSecret,
    fn: 'postgres',
    expected: E.ERR_SECRET_MALFORMED,
    current: (c) => pgJson(c, { port: 'fivefourthreetwo' }),
  },
  {
    name: 'PostgreSQL port out of range',
    category: Category.postgresSecret,
    fn: 'postgres',
    expected: E.ERR_SECRET_MALFORMED,
    current: (c) => pgJson(c, { port: 70000 }),
  },
  {
    name: 'PostgreSQL engine mysql',
    category: Category.postgresSecret,
    fn: 'postgres',
    expected: E.ERR_UNSUPPORTED_ENGINE,
    current: (c) => pgJson(c, { engine: 'mysql' }),
  },
  {
    name: 'PostgreSQL ssl "prefer" (silent plaintext fallback)',
    category: Category.postgresSecret,
    fn: 'postgres',
    expected: E.ERR_SECRET_MALFORMED,
    current: (c) => pgJson(c, { ssl: 'prefer' }),
  },
  {
    name: 'PostgreSQL value neither JSON nor URL',
    category: Category.postgresSecret,
    fn: 'postgres',
    expected: E.ERR_SECRET_MALFORMED,
    current: () => 'host=db user=app password=x',
  },
  {
    name: 'PostgreSQL URL with mysql:// scheme',
    category: Category.postgresSecret,
    fn: 'postgres',
    expected: E.ERR_UNSUPPORTED_ENGINE,
    current: (c) => `mysql://${c.user}:${c.password}@${c.pg.host}:${c.pg.port}/postgres`,
  },
  {
    name: 'PostgreSQL URL without password',
    category: Category.postgresSecret,
    fn: 'postgres',
    expected: E.ERR_SECRET_MALFORMED,
    current: (c) => `postgresql://${c.user}@${c.pg.host}:${c.pg.port}/postgres?sslmode=disable`,
  },
  {
    name: 'PostgreSQL URL without user',
    category: Category.postgresSecret,
    fn: 'postgres',
    expected: E.ERR_SECRET_MALFORMED,
    current: (c) => `postgresql://:${c.password}@${c.pg.host}:${c.pg.port}/postgres?sslmode=disable`,
  },
  {
    name: 'PostgreSQL pending names another user (single user)',
    category: Category.postgresSecret,
    fn: 'postgres',
    expected: E.ERR_SECRET_IDENTITY_CHANGED,
    env: { PG_ROTATION_STRATEGY: 'single-user' },
    step: 'setSecret',
    pending: (c) => pgJson(c, { username: 'postgres', password: randomPassword() }),
  },
  {
    name: 'alternating users without masterarn',
    category: Category.postgresSecret,
    fn: 'postgres',
    expected: E.ERR_SECRET_MALFORMED,
    env: { PG_ROTATION_STRATEGY: 'alternating-users' },
  },

  // --- Redis secret values ---
  {
    name: 'Redis JSON without password',
    category: Category.redisSecret,
    fn: 'redis',
    expected: E.ERR_SECRET_MALFORMED,
    current: (c) => JSON.stringify({ ...JSON.parse(redisJson(c)), password: undefined }),
  },
  {
    name: 'Redis JSON without host',
    category: Category.redisSecret,
    fn: 'redis',
    expected: E.ERR_SECRET_MALFORMED,
    current: (c) => JSON.stringify({ ...JSON.parse(redisJson(c)), host: undefined }),
  },
  {
    name: 'Redis port out of range',
    category: Category.redisSecret,
    fn: 'redis',
    expected: E.ERR_SECRET_MALFORMED,
    current: (c) => redisJson(c, { port: 0 }),
  },
  {
    name: 'Redis unknown mode',
    category: Category.redisSecret,
    fn: 'redis',
    expected: E.ERR_UNSUPPORTED_MODE,
    current: (c) => redisJson(c, { mode: 'sentinel' }),
  },
  {
    name: 'Redis value is http:// URL',
    category: Category.redisSecret,
    fn: 'redis',
    expected: E.ERR_SECRET_MALFORMED,
    current: (c) => `http://${c.user}:${c.password}@${c.redis.host}:${c.redis.port}`,
  },
  {
    name: 'Redis URL without password',
    category: Category.redisSecret,
    fn: 'redis',
    expected: E.ERR_SECRET_MALFORMED,
    current: (c) => `redis://${c.user}@${c.redis.host}:${c.redis.port}`,
  },
  {
    name: 'Redis URL with a non-numeric database',
    category: Category.redisSecret,
    fn: 'redis',
    expected: E.ERR_SECRET_MALFORMED,
    current: (c) => `redis://${c.user}:${c.password}@${c.redis.host}:${c.redis.port}/cache`,
  },
  {
    name: 'Redis value is a JSON array',
    category: Category.redisSecret,
    fn: 'redis',
    expected: E.ERR_SECRET_MALFORMED,
    current: () => '[]',
  },
  {
    name: 'Redis pending names another user',
    category: Category.redisSecret,
    fn: 'redis',
    expected: E.ERR_SECRET_IDENTITY_CHANGED,
    step: 'setSecret',
    pending: (c) => redisJson(c, { username: 'someone_else', password: randomPassword() }),
  },

  // --- Admin secrets ---
  {
    name: 'masterarn names a secret that does not exist',
    category: Category.adminSecret,
    fn: 'postgres',
    expected: E.ERR_ADMIN_SECRET_INVALID,
    env: { PG_ROTATION_STRATEGY: 'alternating-users' },
    current: (c) =>
      pgJson(c, { masterarn: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:missing-admin-AbCdEf' }),
    before: ['createSecret'],
    step: 'setSecret',
  },
  {
    name: 'PostgreSQL admin secret is not JSON',
    category: Category.adminSecret,
    fn: 'postgres',
    expected: E.ERR_ADMIN_SECRET_INVALID,
    env: { PG_ROTATION_STRATEGY: 'alternating-users' },
    current: async (c) =>
      pgJson(c, { masterarn: await c.createSecret('admin-not-json', 'postgres:hunter2') }),
    before: ['createSecret'],
    step: 'setSecret',
  },
  {
    name: 'PostgreSQL admin secret holds SecretBinary',
    category: Category.adminSecret,
    fn: 'postgres',
    expected: E.ERR_ADMIN_SECRET_INVALID,
    env: { PG_ROTATION_STRATEGY: 'alternating-users' },
    current: async (c) => pgJson(c, { masterarn: await c.createSecret('admin-binary', randomBytes(32)) }),
    before: ['createSecret'],
    step: 'setSecret',
  },
  {
    name: 'PostgreSQL admin secret with a wrong password',
    category: Category.adminSecret,
    fn: 'postgres',
    expected: E.ERR_ADMIN_SECRET_INVALID,
    env: { PG_ROTATION_STRATEGY: 'alternating-users' },
    current: async (c) =>
      pgJson(c, {
        masterarn: await c.createSecret(
          'admin-wrong-password',
          JSON.stringify({
            engine: 'postgres',
            host: c.pg.host,
            port: c.pg.port,
            username: c.pg.adminUser,
            password: randomPassword(),
            ssl: false,
          }),
        ),
      }),
    before: ['createSecret'],
    step: 'setSecret',
  },
  {
    name: 'Redis adminSecretArn names a secret that does not exist',
    category: Category.adminSecret,
    fn: 'redis',
    expected: E.ERR_ADMIN_SECRET_INVALID,
    current: (c) =>
      redisJson(c, {
        adminSecretArn: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:missing-admin-AbCdEf',
      }),
    before: ['createSecret'],
    step: 'setSecret',
  },
  {
    name: 'Redis admin secret is not a Redis secret',
    category: Category.adminSecret,
    fn: 'redis',
    expected: E.ERR_ADMIN_SECRET_INVALID,
    current: async (c) =>
      redisJson(c, { adminSecretArn: await c.createSecret('redis-admin-bad', 'just some words') }),
    before: ['createSecret'],
    step: 'setSecret',
  },

  // --- Server answers ---
  {
    name: 'PostgreSQL admin role without CREATEROLE cannot set the alternate user',
    category: Category.serverAnswer,
    fn: 'postgres',
    expected: E.ERR_TARGET_PERMISSION_DENIED,
    env: { PG_ROTATION_STRATEGY: 'alternating-users' },
    arrange: async (c) => c.pgAdmin(`CREATE ROLE weak_${c.user} LOGIN PASSWORD '${WEAK_ADMIN_PASSWORD}'`),
    current: async (c) =>
      pgJson(c, {
        masterarn: await c.createSecret(
          'admin-weak',
          JSON.stringify({
            engine: 'postgres',
            host: c.pg.host,
            port: c.pg.port,
            username: `weak_${c.user}`,
            password: WEAK_ADMIN_PASSWORD,
            ssl: false,
          }),
        ),
      }),
    before: ['createSecret'],
    step: 'setSecret',
  },
  {
    name: 'PostgreSQL refuses the stored password (it was changed behind the secret)',
    category: Category.serverAnswer,
    fn: 'postgres',
    expected: E.ERR_NO_WORKING_CREDENTIAL,
    env: { PG_ROTATION_STRATEGY: 'single-user' },
    current: (c) => pgJson(c, { password: randomPassword() }),
    before: ['createSecret'],
    step: 'setSecret',
  },
  {
    name: 'PostgreSQL host refuses connections',
    category: Category.serverAnswer,
    fn: 'postgres',
    expected: E.ERR_TARGET_UNREACHABLE,
    env: { PG_ROTATION_STRATEGY: 'single-user' },
    current: (c) => pgJson(c, { port: c.closedPort }),
    before: ['createSecret'],
    step: 'setSecret',
  },
  {
    name: 'PostgreSQL role that may not log in (NOLOGIN)',
    category: Category.serverAnswer,
    fn: 'postgres',
    expected: E.ERR_NO_WORKING_CREDENTIAL,
    env: { PG_ROTATION_STRATEGY: 'single-user' },
    arrange: async (c) => c.pgAdmin(`ALTER ROLE ${c.user} NOLOGIN`),
    before: ['createSecret'],
    step: 'setSecret',
  },
  {
    name: 'Redis user without ACL permissions cannot change its passwords',
    category: Category.serverAnswer,
    fn: 'redis',
    expected: E.ERR_TARGET_PERMISSION_DENIED,
    arrange: async (c) => c.redisAdmin('ACL', 'SETUSER', c.user, '-@all', '+ping', '+dbsize'),
    before: ['createSecret'],
    step: 'setSecret',
  },
  {
    name: 'Redis refuses the stored password',
    category: Category.serverAnswer,
    fn: 'redis',
    expected: E.ERR_NO_WORKING_CREDENTIAL,
    current: (c) => redisJson(c, { password: randomPassword() }),
    before: ['createSecret'],
    step: 'setSecret',
  },
  {
    name: 'Redis that answers every command with an error',
    category: Category.serverAnswer,
    fn: 'redis',
    expected: E.ERR_TARGET_REJECTED,
    current: (c) => redisJson(c, { port: c.erroringRedisPort }),
    before: ['createSecret'],
    step: 'setSecret',
  },
  {
    name: 'Redis host refuses connections',
    category: Category.serverAnswer,
    fn: 'redis',
    expected: E.ERR_TARGET_UNREACHABLE,
    current: (c) => redisJson(c, { port: c.closedPort }),
    before: ['createSecret'],
    step: 'setSecret',
  },
  {
    name: 'Redis test command refused at testSecret (NOPERM)',
    category: Category.serverAnswer,
    fn: 'redis',
    expected: E.ERR_TEST_FAILED,
    env: { REDIS_TEST_COMMAND: 'DBSIZE' },
    before: ['createSecret', 'setSecret'],
    arrange: async (c) => c.redisAdmin('ACL', 'SETUSER', c.user, '-dbsize'),
    step: 'testSecret',
  },
  // --- Issue 14: a secret's author turning the function against someone else ---
  {
    name: 'Redis user secret host is not the admin secret server (admin password would go there)',
    category: Category.adminSecret,
    fn: 'redis',
    expected: E.ERR_TARGET_NOT_ALLOWED,
    listenerUntouched: true,
    current: async (c) =>
      redisJson(c, {
        host: c.listener.host,
        port: c.listener.port,
        adminSecretArn: await redisAdminSecret(c),
      }),
    before: ['createSecret'],
    step: 'setSecret',
  },
  {
    name: 'Redis user secret lists a node the admin server does not report',
    category: Category.adminSecret,
    fn: 'redis',
    expected: E.ERR_TARGET_NOT_ALLOWED,
    listenerUntouched: true,
    current: async (c) =>
      redisJson(c, {
        nodes: [`${c.listener.host}:${c.listener.port}`],
        adminSecretArn: await redisAdminSecret(c),
      }),
    before: ['createSecret'],
    step: 'setSecret',
  },
  {
    name: 'Redis URL secret elsewhere with the admin from REDIS_ADMIN_SECRET_ARN',
    category: Category.adminSecret,
    fn: 'redis',
    expected: E.ERR_TARGET_NOT_ALLOWED,
    listenerUntouched: true,
    current: async (c) => {
      await redisAdminSecret(c);
      return `redis://${c.user}:${encodeURIComponent(c.password)}@${c.listener.host}:${c.listener.port}`;
    },
    env: (c) => ({ REDIS_ADMIN_SECRET_ARN: c.createdArns['redis-admin'] as string }),
    before: ['createSecret'],
    step: 'setSecret',
  },
  {
    name: 'PostgreSQL admin secret on another server than the user',
    category: Category.adminSecret,
    fn: 'postgres',
    expected: E.ERR_ADMIN_SECRET_INVALID,
    listenerUntouched: true,
    env: { PG_ROTATION_STRATEGY: 'alternating-users' },
    current: async (c) =>
      pgJson(c, { masterarn: await pgAdminSecret(c, { host: c.listener.host, port: c.listener.port }) }),
    before: ['createSecret'],
    step: 'setSecret',
  },
  {
    name: 'PostgreSQL admin without TLS fields does not take the user secret "ssl": false',
    category: Category.adminSecret,
    fn: 'postgres',
    expected: E.ERR_ADMIN_SECRET_INVALID,
    listenerUntouched: true,
    // The function default is verify-full; the user secret says ssl false (its own logins), the admin
    // secret says nothing, and the test server has no TLS: the admin must not log in in plaintext.
    env: { PG_ROTATION_STRATEGY: 'alternating-users', PG_SSL_MODE: 'verify-full' },
    current: async (c) => pgJson(c, { masterarn: await pgAdminSecret(c) }),
    before: ['createSecret'],
    step: 'setSecret',
  },
  {
    name: 'PostgreSQL "ssl": true with "sslmode": "disable"',
    category: Category.postgresSecret,
    fn: 'postgres',
    expected: E.ERR_SECRET_CONFLICT,
    listenerUntouched: true,
    current: (c) => pgJson(c, { ssl: true, sslmode: 'disable' }),
  },
  {
    name: 'PostgreSQL "ssl": false with "sslmode": "verify-full"',
    category: Category.postgresSecret,
    fn: 'postgres',
    expected: E.ERR_SECRET_CONFLICT,
    listenerUntouched: true,
    current: (c) => pgJson(c, { ssl: false, sslmode: 'verify-full' }),
  },
  {
    name: 'PostgreSQL URL with sslmode=disable&sslmode=verify-full',
    category: Category.postgresSecret,
    fn: 'postgres',
    expected: E.ERR_SECRET_CONFLICT,
    listenerUntouched: true,
    current: (c) =>
      `postgresql://${c.user}:${encodeURIComponent(c.password)}@${c.pg.host}:${c.pg.port}/postgres?sslmode=disable&sslmode=verify-full`,
  },
  {
    name: 'PostgreSQL URL with ssl=true&sslmode=disable',
    category: Category.postgresSecret,
    fn: 'postgres',
    expected: E.ERR_SECRET_CONFLICT,
    listenerUntouched: true,
    current: (c) =>
      `postgresql://${c.user}:${encodeURIComponent(c.password)}@${c.pg.host}:${c.pg.port}/postgres?ssl=true&sslmode=disable`,
  },
  {
    name: 'PostgreSQL URL with masterarn given twice',
    category: Category.postgresSecret,
    fn: 'postgres',
    expected: E.ERR_SECRET_CONFLICT,
    listenerUntouched: true,
    current: (c) =>
      `postgresql://${c.user}:${encodeURIComponent(c.password)}@${c.pg.host}:${c.pg.port}/postgres?sslmode=disable&masterarn=arn:a&masterarn=arn:b`,
  },
  {
    name: 'PostgreSQL URL password with raw @ and / (a piece would be read as the host)',
    category: Category.postgresSecret,
    fn: 'postgres',
    expected: E.ERR_SECRET_MALFORMED,
    listenerUntouched: true,
    current: (c) =>
      `postgresql://${c.user}:${c.secret(`${piece()}@${piece()}/${piece()}`)}@${c.pg.host}:${c.pg.port}/postgres?sslmode=disable`,
  },
  {
    name: 'PostgreSQL URL password with raw / then @',
    category: Category.postgresSecret,
    fn: 'postgres',
    expected: E.ERR_SECRET_MALFORMED,
    listenerUntouched: true,
    current: (c) =>
      `postgresql://${c.user}:${c.secret(`${piece()}/${piece()}@${piece()}`)}@${c.pg.host}:${c.pg.port}/postgres`,
  },
  {
    name: 'PostgreSQL user name with a newline (forged log line)',
    category: Category.postgresSecret,
    fn: 'postgres',
    expected: E.ERR_SECRET_MALFORMED,
    listenerUntouched: true,
    current: (c) => pgJson(c, { username: `${c.user}\n{"level":"INFO","message":"forged"}` }),
  },
  {
    name: 'PostgreSQL host with a terminal escape code',
    category: Category.postgresSecret,
    fn: 'postgres',
    expected: E.ERR_SECRET_MALFORMED,
    listenerUntouched: true,
    current: (c) => pgJson(c, { host: `\u001b]0;owned\u0007${c.pg.host}` }),
  },
  {
    name: 'Redis "ssl": true with "tls": false',
    category: Category.redisSecret,
    fn: 'redis',
    expected: E.ERR_SECRET_CONFLICT,
    listenerUntouched: true,
    current: (c) => redisJson(c, { ssl: true, tls: false }),
  },
  {
    name: 'Redis rediss:// URL with ssl=false',
    category: Category.redisSecret,
    fn: 'redis',
    expected: E.ERR_SECRET_CONFLICT,
    listenerUntouched: true,
    current: (c) =>
      `rediss://${c.user}:${encodeURIComponent(c.password)}@${c.redis.host}:${c.redis.port}?ssl=false`,
  },
  {
    name: 'Redis URL with adminSecretArn given twice',
    category: Category.redisSecret,
    fn: 'redis',
    expected: E.ERR_SECRET_CONFLICT,
    listenerUntouched: true,
    current: (c) =>
      `redis://${c.user}:${encodeURIComponent(c.password)}@${c.redis.host}:${c.redis.port}?adminSecretArn=arn:a&adminSecretArn=arn:b`,
  },
  {
    name: 'Redis URL password with raw @ and / (a piece would be read as the host)',
    category: Category.redisSecret,
    fn: 'redis',
    expected: E.ERR_SECRET_MALFORMED,
    listenerUntouched: true,
    current: (c) =>
      `redis://${c.user}:${c.secret(`${piece()}@${piece()}/${piece()}`)}@${c.redis.host}:${c.redis.port}`,
  },
  {
    name: 'Redis URL password with raw @ and #',
    category: Category.redisSecret,
    fn: 'redis',
    expected: E.ERR_SECRET_MALFORMED,
    listenerUntouched: true,
    current: (c) =>
      `redis://${c.user}:${c.secret(`${piece()}@${piece()}#${piece()}`)}@${c.redis.host}:${c.redis.port}`,
  },
  {
    name: 'Redis URL password with raw ? and @',
    category: Category.redisSecret,
    fn: 'redis',
    expected: E.ERR_SECRET_MALFORMED,
    listenerUntouched: true,
    current: (c) =>
      `redis://${c.user}:${c.secret(`${piece()}?${piece()}@${piece()}`)}@${c.redis.host}:${c.redis.port}`,
  },
  {
    name: 'Redis user name with a terminal escape code',
    category: Category.redisSecret,
    fn: 'redis',
    expected: E.ERR_SECRET_MALFORMED,
    listenerUntouched: true,
    current: (c) => redisJson(c, { username: `\u001b[2J\u001b[31m${c.user}` }),
  },
  {
    name: 'Redis node host with a bidi override',
    category: Category.redisSecret,
    fn: 'redis',
    expected: E.ERR_SECRET_MALFORMED,
    listenerUntouched: true,
    current: (c) => redisJson(c, { nodes: [{ host: `evil\u202e${c.redis.host}`, port: c.redis.port }] }),
  },
  {
    name: 'JWT keyring kid made of terminal escape codes',
    category: Category.jwtSecret,
    fn: 'jwt',
    expected: E.ERR_SECRET_MALFORMED,
    listenerUntouched: true,
    current: () => keyring([hmacKey('\u001b[2J\u001b[1;31mREVOKED\u001b[0m', 'current')]),
  },
  // Duplicate JSON keys: JSON.parse keeps the last, other readers the first (issue 14).
  {
    name: 'PostgreSQL JSON secret with host and port given twice (the second pair is elsewhere)',
    category: Category.postgresSecret,
    fn: 'postgres',
    expected: E.ERR_SECRET_MALFORMED,
    listenerUntouched: true,
    current: (c) => withRepeated(pgJson(c), { host: c.listener.host, port: c.listener.port }),
  },
  {
    name: 'PostgreSQL JSON secret with password given twice',
    category: Category.postgresSecret,
    fn: 'postgres',
    expected: E.ERR_SECRET_MALFORMED,
    listenerUntouched: true,
    current: (c) => withRepeated(pgJson(c), { password: c.secret(randomPassword()) }),
  },
  {
    name: 'PostgreSQL JSON secret with "password" and "pass\\u0077ord" (one key, escaped)',
    category: Category.postgresSecret,
    fn: 'postgres',
    expected: E.ERR_SECRET_MALFORMED,
    listenerUntouched: true,
    current: (c) =>
      `${pgJson(c).slice(0, -1)},"pass\\u0077ord":${JSON.stringify(c.secret(randomPassword()))}}`,
  },
  {
    name: 'PostgreSQL admin secret with host given twice',
    category: Category.adminSecret,
    fn: 'postgres',
    expected: E.ERR_ADMIN_SECRET_INVALID,
    listenerUntouched: true,
    env: { PG_ROTATION_STRATEGY: 'alternating-users' },
    current: async (c) => {
      const admin = JSON.stringify({
        engine: 'postgres',
        host: c.pg.host,
        port: c.pg.port,
        username: c.pg.adminUser,
        password: c.pg.adminPassword,
      });
      const arn = await c.createSecret('pg-admin', withRepeated(admin, { host: c.listener.host }));
      return pgJson(c, { masterarn: arn });
    },
    before: ['createSecret'],
    step: 'setSecret',
  },
  {
    name: 'Redis JSON secret with host and port given twice (the second pair is elsewhere)',
    category: Category.redisSecret,
    fn: 'redis',
    expected: E.ERR_SECRET_MALFORMED,
    listenerUntouched: true,
    current: (c) => withRepeated(redisJson(c), { host: c.listener.host, port: c.listener.port }),
  },
  {
    name: 'Redis JSON secret with password given twice',
    category: Category.redisSecret,
    fn: 'redis',
    expected: E.ERR_SECRET_MALFORMED,
    listenerUntouched: true,
    current: (c) => withRepeated(redisJson(c), { password: c.secret(randomPassword()) }),
  },
  {
    name: 'JWT named secret with JWT_SECRET given twice',
    category: Category.jwtSecret,
    fn: 'jwt',
    expected: E.ERR_SECRET_MALFORMED,
    listenerUntouched: true,
    current: (c) =>
      withRepeated(JSON.stringify({ JWT_SECRET: c.secret(b64url(64)) }), {
        JWT_SECRET: c.secret(b64url(64)),
      }),
  },
  {
    name: 'JWT keyring entry with status given twice',
    category: Category.jwtSecret,
    fn: 'jwt',
    expected: E.ERR_SECRET_MALFORMED,
    listenerUntouched: true,
    current: (c) =>
      keyring([hmacKey('k1', 'current', c.secret(b64url(64)))]).replace(
        '"status":"current"',
        '"status":"current","status":"retired"',
      ),
  },
  // ElastiCache targets the function was not deployed for (issue 14): refused before any API call.
  {
    name: 'ElastiCache auth-token secret naming a replication group outside ELASTICACHE_REPLICATION_GROUP_IDS',
    category: Category.redisSecret,
    fn: 'redis',
    expected: E.ERR_TARGET_NOT_ALLOWED,
    listenerUntouched: true,
    env: { ELASTICACHE_REPLICATION_GROUP_IDS: 'prod-rg', ELASTICACHE_ENDPOINT: 'http://127.0.0.1:9' },
    current: (c) =>
      redisJson(c, {
        username: undefined,
        mode: 'elasticache-auth-token',
        replicationGroupId: 'someone-elses-rg',
      }),
    before: ['createSecret'],
    step: 'setSecret',
  },
  {
    name: 'ElastiCache user secret naming a user outside ELASTICACHE_USER_IDS',
    category: Category.redisSecret,
    fn: 'redis',
    expected: E.ERR_TARGET_NOT_ALLOWED,
    listenerUntouched: true,
    env: { ELASTICACHE_USER_IDS: 'app-user', ELASTICACHE_ENDPOINT: 'http://127.0.0.1:9' },
    current: (c) => redisJson(c, { mode: 'elasticache-user', userId: 'admin-user' }),
    before: ['createSecret'],
    step: 'setSecret',
  },
  {
    name: 'ElastiCache user mode with ELASTICACHE_USER_IDS unset (deployed outside SAM/CDK)',
    category: Category.config,
    fn: 'redis',
    expected: E.ERR_CONFIG_INVALID,
    listenerUntouched: true,
    env: { ELASTICACHE_ENDPOINT: 'http://127.0.0.1:9' },
    current: (c) => redisJson(c, { mode: 'elasticache-user', userId: 'app-user' }),
    before: ['createSecret'],
    step: 'setSecret',
  },
  // RDS databases the function was not deployed for (issue 14): refused before any RDS call.
  {
    name: 'PostgreSQL break-glass secret naming an instance outside PG_BREAK_GLASS_RESOURCE_ARNS',
    category: Category.postgresSecret,
    fn: 'postgres',
    expected: E.ERR_TARGET_NOT_ALLOWED,
    listenerUntouched: true,
    env: (c) => ({
      PG_BREAK_GLASS: 'true',
      PG_BREAK_GLASS_RESOURCE_ARNS: 'arn:aws:rds:us-east-1:123456789012:db:prod-db',
      RDS_ENDPOINT: `http://${c.listener.host}:${c.listener.port}`,
    }),
    // A password nobody knows: no login works, so break-glass would reset someone else's master.
    current: (c) =>
      pgJson(c, { password: c.secret(randomPassword()), dbInstanceIdentifier: 'someone-elses-db' }),
    before: ['createSecret'],
    step: 'setSecret',
  },
  {
    name: 'PostgreSQL break-glass with PG_BREAK_GLASS_RESOURCE_ARNS unset (deployed outside SAM/CDK)',
    category: Category.config,
    fn: 'postgres',
    expected: E.ERR_CONFIG_INVALID,
    listenerUntouched: true,
    env: (c) => ({ PG_BREAK_GLASS: 'true', RDS_ENDPOINT: `http://${c.listener.host}:${c.listener.port}` }),
    current: (c) => pgJson(c, { password: c.secret(randomPassword()), dbInstanceIdentifier: 'prod-db' }),
    before: ['createSecret'],
    step: 'setSecret',
  },
];
