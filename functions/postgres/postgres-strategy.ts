import { SecretKind } from '../../shared/constants.ts';
import type { PasswordGenerator, PasswordPolicy } from '../../shared/password.ts';
import type { RotationStrategy } from '../../shared/strategy.ts';
import {
  createAlternatingPending,
  finishAlternatingSecret,
  ownerRoleFor,
  setAlternatingSecret,
} from './alternating-users-strategy.ts';
import type { BreakGlassDeps } from './break-glass.ts';
import { PostgresStrategyName } from './postgres-config.ts';
import { parsePostgresSecret, serializePostgresSecret, type PostgresSecret } from './postgres-secret.ts';
import {
  createSingleUserPending,
  finishSingleUserSecret,
  setSingleUserSecret,
} from './single-user-strategy.ts';
import { baseUsername } from './sql-identifier.ts';
import { probePendingLogin } from './login-probe.ts';
import { endpointFor, tryLogin } from './postgres-target.ts';
import { ErrorCode } from '../../shared/errors.ts';

export interface PostgresStrategyDeps extends BreakGlassDeps {
  readonly passwords: PasswordGenerator;
  readonly passwordPolicy: PasswordPolicy;
}

/** Single user unless the secret has `masterarn` (or PG_ROTATION_STRATEGY forces one). */
export function isAlternating(deps: PostgresStrategyDeps, secret: PostgresSecret): boolean {
  const chosen = deps.config.strategy;
  if (chosen === PostgresStrategyName.alternatingUsers) return true;
  if (chosen === PostgresStrategyName.singleUser) return false;
  return secret.masterArn !== undefined;
}

/** The PostgreSQL strategy: parses every secret shape and dispatches to single or alternating users. */
export function createPostgresStrategy(deps: PostgresStrategyDeps): RotationStrategy<PostgresSecret> {
  return {
    kind: SecretKind.postgres,
    parse: parsePostgresSecret,
    serialize: serializePostgresSecret,
    createPending: (input) =>
      isAlternating(deps, input.current)
        ? createAlternatingPending(deps, input)
        : createSingleUserPending(deps, input),
    setSecret: (input) =>
      isAlternating(deps, input.current)
        ? setAlternatingSecret(deps, input.context.secrets, input)
        : setSingleUserSecret(deps, input),
    testSecret: ({ current, pending }) =>
      isAlternating(deps, current)
        ? probePendingLogin(deps, pending, ownerRoleFor(deps, current), {
            username: current.username,
            memberOfIt:
              ownerRoleFor(deps, current) === undefined &&
              pending.username !== baseUsername(pending.username) &&
              current.username === baseUsername(pending.username),
          })
        : probePendingLogin(deps, pending),
    finishSecret: (input) =>
      isAlternating(deps, input.current)
        ? finishAlternatingSecret(deps, input.context.secrets, input)
        : finishSingleUserSecret(deps, input),
    setReplacesCurrent: (current) => !isAlternating(deps, current),
    async logsIn(value) {
      const login = await tryLogin(deps, endpointFor(value, deps.config), 'probe');
      if (login.ok) {
        await login.session.close();
        return true;
      }
      if (login.attempt.error.code === ErrorCode.ERR_TARGET_AUTH_FAILED) return false;
      throw login.attempt.error;
    },
  };
}
