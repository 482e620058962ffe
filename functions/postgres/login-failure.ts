import { ErrorCode, RotationError } from '../../shared/errors.ts';

/**
 * Why a login or a statement failed, in words a person can act on. The driver's error is
 * kept as `cause`; its message is never copied (server messages can quote statements).
 */
export const FailureReason = {
  wrongPassword: 'wrong password',
  roleMissing: 'role does not exist',
  databaseMissing: 'database does not exist',
  tlsFailure: 'TLS failure',
  notAllowed: 'connection not allowed by pg_hba.conf',
  unreachable: 'host unreachable',
  timeout: 'timeout',
  tooManyConnections: 'too many connections',
  poolerRejected: 'rejected by the connection pooler',
  poolerUpstream: 'the connection pooler cannot reach the database',
  permissionDenied: 'permission denied',
  other: 'unexpected error',
} as const;
export type FailureReason = (typeof FailureReason)[keyof typeof FailureReason];

const REASON_CODES: Readonly<Record<FailureReason, ErrorCode>> = {
  [FailureReason.wrongPassword]: ErrorCode.ERR_TARGET_AUTH_FAILED,
  [FailureReason.roleMissing]: ErrorCode.ERR_TARGET_ROLE_MISSING,
  [FailureReason.databaseMissing]: ErrorCode.ERR_TARGET_REJECTED,
  [FailureReason.tlsFailure]: ErrorCode.ERR_TARGET_TLS,
  [FailureReason.notAllowed]: ErrorCode.ERR_TARGET_REJECTED,
  [FailureReason.unreachable]: ErrorCode.ERR_TARGET_UNREACHABLE,
  [FailureReason.timeout]: ErrorCode.ERR_TARGET_TIMEOUT,
  [FailureReason.tooManyConnections]: ErrorCode.ERR_TARGET_TOO_MANY_CONNECTIONS,
  [FailureReason.poolerRejected]: ErrorCode.ERR_TARGET_REJECTED,
  [FailureReason.poolerUpstream]: ErrorCode.ERR_TARGET_UNREACHABLE,
  [FailureReason.permissionDenied]: ErrorCode.ERR_TARGET_PERMISSION_DENIED,
  [FailureReason.other]: ErrorCode.ERR_TARGET_REJECTED,
};

const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
  'ECONNRESET',
  'EPIPE',
  'EADDRNOTAVAIL',
]);
const TLS_CODE = /^(ERR_TLS_|ERR_SSL_|CERT_|UNABLE_TO_|SELF_SIGNED|DEPTH_ZERO|HOSTNAME_MISMATCH|ERR_OSSL)/;

/**
 * SQLSTATE 08P01 (protocol violation) is what PgBouncer answers for nearly everything it
 * decides itself, and what a server answers for a malformed startup. Its message says which.
 */
function protocolViolation(message: string): FailureReason {
  if (/password authentication failed|SASL authentication failed/i.test(message))
    return FailureReason.wrongPassword;
  if (/no more connections allowed|too many clients|pool size/i.test(message))
    return FailureReason.tooManyConnections;
  if (/query_wait_timeout|server_connect_timeout|query_timeout|client_login_timeout/i.test(message))
    return FailureReason.timeout;
  if (/server login has been failing|cannot connect to server|server conn crashed/i.test(message))
    return FailureReason.poolerUpstream;
  if (/TLS|SSL/i.test(message)) return FailureReason.tlsFailure;
  // "unsupported startup parameter: ...", "bouncer config error", an unknown pooler refusal.
  return FailureReason.poolerRejected;
}

export function classifyPgError(error: unknown): {
  reason: FailureReason;
  sqlState: string | undefined;
  driverCode: string | undefined;
} {
  const record = (error ?? {}) as { code?: unknown; message?: unknown };
  const code = typeof record.code === 'string' ? record.code : undefined;
  const message = typeof record.message === 'string' ? record.message : '';
  const isSqlState = code !== undefined && /^[0-9A-Z]{5}$/.test(code);
  const sqlState = isSqlState ? code : undefined;
  const driverCode = isSqlState ? undefined : code;
  const reason = ((): FailureReason => {
    if (sqlState === '28P01') return FailureReason.wrongPassword;
    if (sqlState === '28000') {
      if (/role .* does not exist/i.test(message)) return FailureReason.roleMissing;
      if (/pg_hba\.conf/i.test(message)) return FailureReason.notAllowed;
      return FailureReason.wrongPassword;
    }
    if (sqlState === '3D000') return FailureReason.databaseMissing;
    if (sqlState === '53300' || sqlState === '53000') return FailureReason.tooManyConnections;
    // 57014: statement_timeout; 55P03: lock_timeout (e.g. another transaction holds the role's row).
    if (sqlState === '57014' || sqlState === '55P03') return FailureReason.timeout;
    if (sqlState === '42501') return FailureReason.permissionDenied;
    if (sqlState === '42704' && /role/i.test(message)) return FailureReason.roleMissing;
    if (sqlState === '08P01') return protocolViolation(message);
    // RDS Proxy's own refusals ("This RDS Proxy requires TLS connections", unsupported options).
    if (/RDS Proxy/i.test(message))
      return /TLS|SSL/i.test(message) ? FailureReason.tlsFailure : FailureReason.poolerRejected;
    if (driverCode !== undefined && NETWORK_CODES.has(driverCode)) return FailureReason.unreachable;
    // Driver-side timeouts only: a server message may merely name a setting ("statement_timeout").
    if (driverCode === 'ETIMEDOUT' || (sqlState === undefined && /timeout|timed out/i.test(message)))
      return FailureReason.timeout;
    if ((driverCode !== undefined && TLS_CODE.test(driverCode)) || /SSL|TLS|certificate/i.test(message))
      return FailureReason.tlsFailure;
    if (/Connection terminated unexpectedly/i.test(message)) return FailureReason.unreachable;
    return FailureReason.other;
  })();
  return { reason, sqlState, driverCode };
}

export interface FailureSubject {
  /** What was being done: "log in", "ALTER ROLE", "probe query". */
  readonly action: string;
  readonly host: string;
  readonly port: number;
  readonly user: string;
  /** Which credential: "pending", "current", "previous", "admin". */
  readonly credential?: string;
}

/** A RotationError for a failed login or statement, naming host, user and reason, never a password. */
export function pgFailure(error: unknown, subject: FailureSubject): RotationError {
  if (error instanceof RotationError) return error;
  const { reason, sqlState, driverCode } = classifyPgError(error);
  const who = `${subject.credential ? `${subject.credential} credentials, ` : ''}user "${subject.user}" on ${subject.host}:${subject.port}`;
  return new RotationError(
    REASON_CODES[reason],
    `PostgreSQL ${subject.action} failed (${reason}) for ${who}`,
    {
      cause: error,
      details: {
        reason,
        host: subject.host,
        port: subject.port,
        user: subject.user,
        ...(subject.credential ? { credential: subject.credential } : {}),
        ...(sqlState ? { sqlState } : {}),
        ...(driverCode ? { driverCode } : {}),
      },
    },
  );
}

/** The reason recorded on an error made by pgFailure (or undefined). */
export function failureReason(error: RotationError): FailureReason | undefined {
  const reason = error.details['reason'];
  return typeof reason === 'string' && (Object.values(FailureReason) as string[]).includes(reason)
    ? (reason as FailureReason)
    : undefined;
}
