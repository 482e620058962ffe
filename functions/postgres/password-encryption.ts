import { createHash } from 'node:crypto';
import type { Sensitive } from '../../shared/sensitive.ts';
import type { PgSession } from './pg-connector.ts';
import { PASSWORD_ENCRYPTION_SQL } from './role-statements.ts';
import { scramSha256Verifier } from './scram-verifier.ts';

/**
 * Which password hash `ALTER ROLE ... PASSWORD` carries. The function never sends a
 * plaintext password (a server with `log_statement = 'all'` would log it), so it computes
 * the hash the server itself would store:
 *
 * - `auto` (default): follow the `password_encryption` of the session that sets the password,
 *   as the server would for a plaintext password (and as AWS's functions end up doing): an
 *   md5 server keeps md5 hashes, so md5-only drivers and PgBouncer md5 setups keep working;
 *   anything else gets a SCRAM-SHA-256 verifier.
 * - `scram-sha-256`: always SCRAM, an explicit migration off md5. After one rotation the role
 *   has a SCRAM verifier, and every client of it must speak SCRAM.
 */
export const PasswordEncryption = {
  auto: 'auto',
  scramSha256: 'scram-sha-256',
} as const;
export type PasswordEncryption = (typeof PasswordEncryption)[keyof typeof PasswordEncryption];

/** The hash method a verifier is made with (what pg_authid.rolpassword will hold). */
export const HashMethod = { md5: 'md5', scramSha256: 'scram-sha-256' } as const;
export type HashMethod = (typeof HashMethod)[keyof typeof HashMethod];

/** The method for a password set in `session`: asks the server only in `auto`. */
export async function hashMethodIn(session: PgSession, setting: PasswordEncryption): Promise<HashMethod> {
  if (setting === PasswordEncryption.scramSha256) return HashMethod.scramSha256;
  const rows = await session.query(PASSWORD_ENCRYPTION_SQL, undefined, 'SHOW password_encryption');
  const value = rows[0]?.['password_encryption'];
  return hashMethodFor(setting, typeof value === 'string' ? value : undefined);
}

/** What the server stores for `password_encryption` = `setting` (PostgreSQL 10-13 also accept `on` for md5). */
export function hashMethodFor(setting: PasswordEncryption, serverSetting: string | undefined): HashMethod {
  if (setting === PasswordEncryption.scramSha256) return HashMethod.scramSha256;
  const value = (serverSetting ?? '').trim().toLowerCase();
  return value === 'md5' || value === 'on' ? HashMethod.md5 : HashMethod.scramSha256;
}

/** PostgreSQL's md5 hash: "md5" + hex(md5(password + user name)). Treat it as secret too. */
export function md5Verifier(password: Sensitive<string>, user: string): string {
  return `md5${createHash('md5')
    .update(password.reveal() + user, 'utf8')
    .digest('hex')}`;
}

export interface VerifierOptions {
  readonly method: HashMethod;
  readonly user: string;
  readonly scramIterations: number;
}

/** The hash to send for `password`: md5 (salted with the user name) or a SCRAM-SHA-256 verifier. */
export function passwordVerifier(password: Sensitive<string>, options: VerifierOptions): string {
  return options.method === HashMethod.md5
    ? md5Verifier(password, options.user)
    : scramSha256Verifier(password, { iterations: options.scramIterations });
}
