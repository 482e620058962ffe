import { ErrorCode, RotationError } from '../../shared/errors.ts';
import type { PostgresSecret } from './postgres-secret.ts';

/**
 * The confused-deputy guard: the pending value may change the password (and, in
 * alternating mode, switch to the expected alternate user) but never point the rotation at
 * another user, host, port or database.
 */
export function assertSameTarget(
  current: PostgresSecret,
  pending: PostgresSecret,
  expectedUsername: string,
): void {
  const changed: string[] = [];
  if (pending.username !== expectedUsername) changed.push('username');
  if (pending.host.toLowerCase() !== current.host.toLowerCase()) changed.push('host');
  if (pending.port !== current.port) changed.push('port');
  if (pending.database !== current.database) changed.push('database');
  if (changed.length === 0) return;
  throw new RotationError(
    ErrorCode.ERR_SECRET_IDENTITY_CHANGED,
    `The pending version changes ${changed.join(', ')} (expected user "${expectedUsername}" ` +
      `on ${current.host}:${current.port}/${current.database}, got user "${pending.username}" ` +
      `on ${pending.host}:${pending.port}/${pending.database}); refusing to set a password for ` +
      `another login`,
    {
      details: {
        fields: changed.join(','),
        expectedUser: expectedUsername,
        pendingUser: pending.username,
        host: current.host,
        pendingHost: pending.host,
      },
    },
  );
}
