import type { Input } from './input.ts';
import type { VersionRecord } from './secret-record.ts';
import { invalidParameter, ServiceError, type ServiceErrorType, validation } from './service-error.ts';

/** W11: ClientRequestToken, VersionId, MoveToVersionId, RemoveFromVersionId. */
export const TOKEN_RULE = { min: 32, max: 64 } as const;
const NO_TOKEN = 'You must provide a ClientRequestToken value. We recommend a UUID-type value.';

/** A version's value: exactly one member set (binary as base64). */
export interface SecretValue {
  readonly secretString?: string;
  readonly secretBinary?: string;
}

/** P10, C1: SecretString or SecretBinary, never both, 1-65536 characters or bytes. Values never appear in errors. */
export function readValue(input: Input, required: boolean): SecretValue | undefined {
  const secretString = input.string('SecretString', { min: 1, max: 65536, secret: true });
  const secretBinary = input.string('SecretBinary', { secret: true });
  if (secretString !== undefined && secretBinary !== undefined) {
    throw invalidParameter(
      "You can't specify both a binary secret value and a string secret value in the same secret.",
    );
  }
  if (secretBinary !== undefined) {
    const bytes = Buffer.from(secretBinary, 'base64');
    if (bytes.length < 1 || bytes.length > 65536)
      throw validation('secretBinary', 'Member must have length between 1 and 65536 bytes', '[redacted]');
    return { secretBinary: bytes.toString('base64') };
  }
  if (secretString !== undefined) return { secretString };
  if (required) throw invalidParameter('You must provide either SecretString or SecretBinary.');
  return undefined;
}

/** W10: raw requests without a token fail; the error type depends on the operation. */
export function readToken(input: Input, missing: ServiceErrorType): string {
  const token = input.string('ClientRequestToken', TOKEN_RULE);
  if (token === undefined) throw new ServiceError(missing, NO_TOKEN);
  return token;
}

/** C4, P2, P3, US2: same token, same value (string vs binary counts as different). */
export function sameValue(version: VersionRecord, value: SecretValue): boolean {
  return version.secretString === value.secretString && version.secretBinary === value.secretBinary;
}
