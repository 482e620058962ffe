/**
 * The one home for errors. Every error the functions raise is a RotationError with a
 * stable `code` that callers, alarms and tests branch on. Messages name what failed
 * (ARN, version id, step, field, env var, user, host) and never contain a secret value.
 */

export const ErrorCode = {
  // Event and guard
  ERR_EVENT_INVALID: 'ERR_EVENT_INVALID',
  ERR_STEP_UNKNOWN: 'ERR_STEP_UNKNOWN',
  ERR_ROTATION_NOT_ENABLED: 'ERR_ROTATION_NOT_ENABLED',
  ERR_TOKEN_UNKNOWN: 'ERR_TOKEN_UNKNOWN',
  ERR_TOKEN_NOT_PENDING: 'ERR_TOKEN_NOT_PENDING',
  ERR_ROTATION_CONFLICT: 'ERR_ROTATION_CONFLICT',
  // Secret values
  ERR_CURRENT_MISSING: 'ERR_CURRENT_MISSING',
  ERR_PENDING_MISSING: 'ERR_PENDING_MISSING',
  ERR_SECRET_MALFORMED: 'ERR_SECRET_MALFORMED',
  ERR_SECRET_BINARY_UNSUPPORTED: 'ERR_SECRET_BINARY_UNSUPPORTED',
  ERR_SECRET_IDENTITY_CHANGED: 'ERR_SECRET_IDENTITY_CHANGED',
  /** Two fields of one secret disagree (`ssl` vs `sslmode`, a URL parameter given twice); the fields are named. */
  ERR_SECRET_CONFLICT: 'ERR_SECRET_CONFLICT',
  ERR_UNSUPPORTED_ENGINE: 'ERR_UNSUPPORTED_ENGINE',
  ERR_UNSUPPORTED_MODE: 'ERR_UNSUPPORTED_MODE',
  ERR_POLICY_VIOLATION: 'ERR_POLICY_VIOLATION',
  // Configuration
  ERR_CONFIG_INVALID: 'ERR_CONFIG_INVALID',
  // AWS services
  ERR_SECRETS_MANAGER: 'ERR_SECRETS_MANAGER',
  ERR_ADMIN_SECRET_INVALID: 'ERR_ADMIN_SECRET_INVALID',
  ERR_AWS_API: 'ERR_AWS_API',
  ERR_WAIT_TIMEOUT: 'ERR_WAIT_TIMEOUT',
  // Replica Regions of a multi-Region secret
  ERR_REPLICA_FAILED: 'ERR_REPLICA_FAILED',
  ERR_REPLICA_BEHIND: 'ERR_REPLICA_BEHIND',
  ERR_REPLICA_UNREACHABLE: 'ERR_REPLICA_UNREACHABLE',
  ERR_REPLICA_LAGGING: 'ERR_REPLICA_LAGGING',
  // Targets (database, cache)
  ERR_TARGET_UNREACHABLE: 'ERR_TARGET_UNREACHABLE',
  ERR_TARGET_TIMEOUT: 'ERR_TARGET_TIMEOUT',
  ERR_TARGET_TLS: 'ERR_TARGET_TLS',
  ERR_TARGET_AUTH_FAILED: 'ERR_TARGET_AUTH_FAILED',
  ERR_TARGET_ROLE_MISSING: 'ERR_TARGET_ROLE_MISSING',
  ERR_TARGET_ROLE_EXPIRED: 'ERR_TARGET_ROLE_EXPIRED',
  ERR_TARGET_ROLE_VALID_UNTIL: 'ERR_TARGET_ROLE_VALID_UNTIL',
  ERR_TARGET_ROLE_NOLOGIN: 'ERR_TARGET_ROLE_NOLOGIN',
  ERR_TARGET_TOO_MANY_CONNECTIONS: 'ERR_TARGET_TOO_MANY_CONNECTIONS',
  ERR_TARGET_PERMISSION_DENIED: 'ERR_TARGET_PERMISSION_DENIED',
  ERR_TARGET_REJECTED: 'ERR_TARGET_REJECTED',
  ERR_TARGET_UNSAFE: 'ERR_TARGET_UNSAFE',
  /**
   * The secret points a credential at a server it does not belong to (a host that is not the admin
   * secret's own, nor a node discovered from it), or names a target outside what the function was
   * deployed for. Raised before any credential is sent.
   */
  ERR_TARGET_NOT_ALLOWED: 'ERR_TARGET_NOT_ALLOWED',
  ERR_NO_WORKING_CREDENTIAL: 'ERR_NO_WORKING_CREDENTIAL',
  ERR_TEST_FAILED: 'ERR_TEST_FAILED',
  // Anything unexpected
  ERR_INTERNAL: 'ERR_INTERNAL',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

export interface RotationErrorOptions {
  readonly cause?: unknown;
  /** Non-secret facts for logs: identifiers, field names, counts. Never values. */
  readonly details?: Readonly<Record<string, string | number | boolean | undefined>>;
}

export class RotationError extends Error {
  readonly code: ErrorCode;
  readonly details: Readonly<Record<string, string | number | boolean | undefined>>;

  constructor(code: ErrorCode, message: string, options: RotationErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'RotationError';
    this.code = code;
    this.details = Object.freeze({ ...(options.details ?? {}) });
  }

  override toString(): string {
    return `${this.name} [${this.code}]: ${this.message}`;
  }
}

export function isRotationError(value: unknown, code?: ErrorCode): value is RotationError {
  return value instanceof RotationError && (code === undefined || value.code === code);
}

/**
 * Wrap anything thrown into a RotationError, keeping the original as `cause`.
 * The original message is not copied: driver messages can echo input.
 */
export function asRotationError(
  value: unknown,
  fallback: ErrorCode = ErrorCode.ERR_INTERNAL,
  message = 'Unexpected failure',
): RotationError {
  if (value instanceof RotationError) return value;
  const name = value instanceof Error ? value.name : typeof value;
  return new RotationError(fallback, `${message} (${name})`, { cause: value });
}
