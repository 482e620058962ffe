import { ErrorCode, RotationError } from '../../shared/errors.ts';
import type { Log } from '../../shared/observability.ts';
import { FailureReason, failureReason } from './login-failure.ts';
import type { PgConnector, PgEndpoint, PgSession } from './pg-connector.ts';
import type { PostgresSecret, SecretTls } from './postgres-secret.ts';
import { resolveTls, type SslMode } from './tls-settings.ts';

/** The TLS a login takes where its secret says nothing: PG_SSL_MODE and PG_SSL_CA_PATH. */
export interface TlsDefaults {
  readonly mode: SslMode;
  readonly caPath: string | undefined;
}

/** How the function reaches a database: the connector, the log each login is told to, the TLS defaults. */
export interface PgAccess {
  readonly connector: PgConnector;
  readonly logger: Log;
  readonly tls: TlsDefaults;
}

/** The endpoint of a secret. `tls` overrides the secret's own TLS fields (AWS tries AWSPREVIOUS with current's `ssl`). */
export function endpointFor(
  secret: PostgresSecret,
  defaults: TlsDefaults,
  tls: SecretTls = secret.tls,
): PgEndpoint {
  return {
    host: secret.host,
    port: secret.port,
    database: secret.database,
    user: secret.username,
    password: secret.password,
    tls: resolveTls(tls, defaults),
  };
}

export interface LoginAttempt {
  readonly credential: string;
  readonly user: string;
  readonly error: RotationError;
}

export type LoginResult =
  { readonly ok: true; readonly session: PgSession } | { readonly ok: false; readonly attempt: LoginAttempt };

/** Try one login; a failure is logged with its reason, host and user, and returned (not thrown). */
export async function tryLogin(
  access: Pick<PgAccess, 'connector' | 'logger'>,
  endpoint: PgEndpoint,
  credential: string,
): Promise<LoginResult> {
  const { connector, logger } = access;
  try {
    const session = await connector.connect(endpoint, credential);
    logger.info('Logged in to PostgreSQL', {
      credential,
      user: endpoint.user,
      host: endpoint.host,
      port: endpoint.port,
      sslMode: endpoint.tls.mode,
    });
    return { ok: true, session };
  } catch (thrown) {
    const error =
      thrown instanceof RotationError
        ? thrown
        : new RotationError(ErrorCode.ERR_INTERNAL, `Login as ${credential} failed unexpectedly`, {
            cause: thrown,
          });
    // Pending failing is the normal first try of setSecret; any other credential failing is worth a warning.
    const log = credential === 'pending' ? logger.info.bind(logger) : logger.warn.bind(logger);
    log('PostgreSQL login failed', {
      credential,
      user: endpoint.user,
      host: endpoint.host,
      port: endpoint.port,
      sslMode: endpoint.tls.mode,
      errorCode: error.code,
      reason: failureReason(error) ?? error.code,
    });
    return { ok: false, attempt: { credential, user: endpoint.user, error } };
  }
}

/** "pending: wrong password (ERR_TARGET_AUTH_FAILED); current: host unreachable (...)". */
export function describeAttempts(attempts: readonly LoginAttempt[]): string {
  // A classified login failure reads as its reason; anything else (an unreadable CA file) by its own message, which names no secret.
  return attempts
    .map(
      (attempt) =>
        `${attempt.credential} (user "${attempt.user}"): ${failureReason(attempt.error) ?? attempt.error.message} [${attempt.error.code}]`,
    )
    .join('; ');
}

/** The reasons of all attempts, for deciding whether a password reset could help. */
export function attemptReasons(attempts: readonly LoginAttempt[]): (FailureReason | undefined)[] {
  return attempts.map((attempt) => failureReason(attempt.error));
}

/** The error when no credential logs in: names each credential tried and why it failed. */
export function noWorkingCredential(
  secret: PostgresSecret,
  attempts: readonly LoginAttempt[],
  hint = '',
): RotationError {
  const codes = [...new Set(attempts.map((attempt) => attempt.error.code))];
  // One shared cause (all unreachable, all TLS...) is reported with that code; a mix as "no working credential".
  const code =
    codes.length === 1 && codes[0] !== ErrorCode.ERR_TARGET_AUTH_FAILED && codes[0] !== undefined
      ? codes[0]
      : ErrorCode.ERR_NO_WORKING_CREDENTIAL;
  // With password authentication PostgreSQL answers a missing role exactly like a wrong password (28P01).
  const note =
    attempts.length > 0 &&
    attempts.every((attempt) => failureReason(attempt.error) === FailureReason.wrongPassword)
      ? ' (PostgreSQL also reports a role that does not exist, or whose VALID UNTIL has passed, as a wrong password)'
      : '';
  return new RotationError(
    code,
    `Unable to log in to ${secret.host}:${secret.port} with the ` +
      `${attempts.map((attempt) => attempt.credential).join(', ')} credentials: ${describeAttempts(attempts)}${hint}${note}`,
    {
      details: {
        host: secret.host,
        port: secret.port,
        user: secret.username,
        attempts: describeAttempts(attempts),
      },
      cause: attempts[0]?.error,
    },
  );
}
