import { SecretKind } from '../../shared/constants.ts';
import type { Log } from '../../shared/observability.ts';
import type { PasswordGenerator, PasswordPolicy } from '../../shared/password.ts';
import type { RotationStrategy } from '../../shared/strategy.ts';
import {
  createAlternatingPending,
  finishAlternatingSecret,
  ownerRoleFor,
  setAlternatingSecret,
  type AlternatingUsersAdmin,
} from './alternating-users-strategy.ts';
import type { BreakGlass } from './break-glass.ts';
import type { PasswordSource } from './new-password.ts';
import type { PgConnector } from './pg-connector.ts';
import {
  PostgresStrategyName,
  type AlternatingNamingSettings,
  type PostgresConfig,
  type RolePasswordSettings,
} from './postgres-config.ts';
import { parsePostgresSecret, serializePostgresSecret, type PostgresSecret } from './postgres-secret.ts';
import {
  createSingleUserPending,
  finishSingleUserSecret,
  setSingleUserSecret,
  type SingleUserSet,
} from './single-user-strategy.ts';
import { baseUsername } from './sql-identifier.ts';
import { probePendingLogin } from './login-probe.ts';
import { endpointFor, tryLogin, type PgAccess } from './postgres-target.ts';
import type { RdsPort } from './rds-port.ts';
import { ErrorCode } from '../../shared/errors.ts';

/** What the PostgreSQL strategy is made from; the factory hands each part its own share. */
export interface PostgresStrategyDeps {
  readonly config: PostgresConfig;
  readonly connector: PgConnector;
  readonly logger: Log;
  readonly passwords: PasswordGenerator;
  readonly passwordPolicy: PasswordPolicy;
  /** Created on first use: most rotations never call RDS. */
  readonly rds: () => RdsPort;
  readonly sleep: (ms: number) => Promise<void>;
  readonly now: () => number;
}

/** Single user unless the secret has `masterarn` (or PG_ROTATION_STRATEGY forces one). */
export function isAlternating(chosen: PostgresStrategyName, secret: PostgresSecret): boolean {
  if (chosen === PostgresStrategyName.alternatingUsers) return true;
  if (chosen === PostgresStrategyName.singleUser) return false;
  return secret.masterArn !== undefined;
}

/** The PostgreSQL strategy: parses every secret shape and dispatches to single or alternating users. */
export function createPostgresStrategy(deps: PostgresStrategyDeps): RotationStrategy<PostgresSecret> {
  const { config, logger, rds, now } = deps;
  const access: PgAccess = {
    connector: deps.connector,
    logger,
    tls: { mode: config.sslMode, caPath: config.sslCaPath },
  };
  const passwords: PasswordSource = { generator: deps.passwords, policy: deps.passwordPolicy };
  const rolePasswords: RolePasswordSettings = {
    passwordEncryption: config.passwordEncryption,
    scramIterations: config.scramIterations,
    validUntil: config.validUntil,
    validUntilDays: config.validUntilDays,
  };
  const naming: AlternatingNamingSettings = {
    alternatingNaming: config.alternatingNaming,
    ownerRole: config.ownerRole,
  };
  const breakGlass: BreakGlass = {
    settings: {
      breakGlass: config.breakGlass,
      breakGlassWaitMs: config.breakGlassWaitMs,
      breakGlassPollMs: config.breakGlassPollMs,
      breakGlassResources: config.breakGlassResources,
    },
    access,
    rds,
    clock: { now, sleep: deps.sleep },
  };
  const single: SingleUserSet = { access, settings: rolePasswords, now, breakGlass };
  const alternating: AlternatingUsersAdmin = {
    access,
    rds,
    serverTimeouts: config.serverTimeouts,
    naming,
    settings: rolePasswords,
    now,
  };
  const alternates = (secret: PostgresSecret): boolean => isAlternating(config.strategy, secret);
  return {
    kind: SecretKind.postgres,
    parse: parsePostgresSecret,
    serialize: serializePostgresSecret,
    createPending: (input) =>
      alternates(input.current)
        ? createAlternatingPending(passwords, logger, input)
        : createSingleUserPending(passwords, logger, input),
    setSecret: (input) =>
      alternates(input.current)
        ? setAlternatingSecret(alternating, input)
        : setSingleUserSecret(single, input),
    testSecret: ({ current, pending }) =>
      alternates(current)
        ? probePendingLogin(access, config.testQuery, pending, ownerRoleFor(naming, current), {
            username: current.username,
            memberOfIt:
              ownerRoleFor(naming, current) === undefined &&
              pending.username !== baseUsername(pending.username) &&
              current.username === baseUsername(pending.username),
          })
        : probePendingLogin(access, config.testQuery, pending),
    finishSecret: (input) =>
      alternates(input.current)
        ? finishAlternatingSecret(alternating, input)
        : finishSingleUserSecret(access, config.emergencyTerminateSessions, input),
    setReplacesCurrent: (current) => !alternates(current),
    async logsIn(value) {
      const login = await tryLogin(access, endpointFor(value, access.tls), 'probe');
      if (login.ok) {
        await login.session.close();
        return true;
      }
      if (login.attempt.error.code === ErrorCode.ERR_TARGET_AUTH_FAILED) return false;
      throw login.attempt.error;
    },
  };
}
