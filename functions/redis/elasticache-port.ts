import type { Sensitive } from '../../shared/sensitive.ts';

/**
 * The ElastiCache port: the four calls the ElastiCache modes need. The default adapter
 * wraps @aws-sdk/client-elasticache (sdk-elasticache-port.ts); tests use a fake that
 * implements the same interface and enforces the documented rules.
 * Adapters raise RotationError ERR_AWS_API with the AWS error name in
 * `details.awsError`, never the request.
 */

/** AWS's AuthTokenUpdateStrategy values this function uses. */
export const AuthTokenUpdateStrategy = {
  /** Add the token; the old one keeps working (at most two tokens). */
  ROTATE: 'ROTATE',
  /** Keep only this token; allowed only after ROTATE. */
  SET: 'SET',
} as const;
export type AuthTokenUpdateStrategy = (typeof AuthTokenUpdateStrategy)[keyof typeof AuthTokenUpdateStrategy];

export interface ReplicationGroupState {
  readonly replicationGroupId: string;
  /** creating, available, modifying, deleting, create-failed, snapshotting. */
  readonly status: string;
  readonly authTokenEnabled: boolean;
  readonly transitEncryptionEnabled: boolean;
}

export interface ElastiCacheUserState {
  readonly userId: string;
  readonly userName: string;
  /** active, modifying, deleting. */
  readonly status: string;
  readonly authenticationType: string | undefined;
  readonly passwordCount: number | undefined;
}

export interface ElastiCachePort {
  describeReplicationGroup(replicationGroupId: string): Promise<ReplicationGroupState>;
  /** ModifyReplicationGroup with AuthToken, AuthTokenUpdateStrategy and ApplyImmediately. */
  modifyAuthToken(
    replicationGroupId: string,
    authToken: Sensitive<string>,
    strategy: AuthTokenUpdateStrategy,
  ): Promise<void>;
  describeUser(userId: string): Promise<ElastiCacheUserState>;
  /** ModifyUser with Passwords (one or two). */
  modifyUserPasswords(userId: string, passwords: readonly Sensitive<string>[]): Promise<void>;
}

/** ElastiCache's password rules (AUTH tokens and RBAC user passwords). */
export const ELASTICACHE_PASSWORD_MIN_LENGTH = 16;
export const ELASTICACHE_PASSWORD_MAX_LENGTH = 128;
export const ELASTICACHE_FORBIDDEN_CHARACTERS = '@"/';
/** AUTH tokens: the only non-alphanumeric characters ElastiCache documents as allowed. */
export const AUTH_TOKEN_ALLOWED_SPECIALS = '!&#$^<>-';

/** Names of broken rules (never the value): empty when the password is acceptable. */
export function elastiCachePasswordViolations(password: string, kind: 'auth-token' | 'user'): string[] {
  const problems: string[] = [];
  if (password.length < ELASTICACHE_PASSWORD_MIN_LENGTH || password.length > ELASTICACHE_PASSWORD_MAX_LENGTH)
    problems.push('length must be 16 to 128');
  if (!/^[\x21-\x7e]*$/.test(password)) problems.push('only printable ASCII without spaces');
  if ([...ELASTICACHE_FORBIDDEN_CHARACTERS].some((ch) => password.includes(ch)))
    problems.push('no @, " or /');
  if (
    kind === 'auth-token' &&
    [...password].some((ch) => !/[A-Za-z0-9]/.test(ch) && !AUTH_TOKEN_ALLOWED_SPECIALS.includes(ch))
  ) {
    problems.push(`special characters limited to ${AUTH_TOKEN_ALLOWED_SPECIALS}`);
  }
  return problems;
}
