import { ErrorCode, RotationError } from '../../shared/errors.ts';
import type { PgSession } from './pg-connector.ts';
import { ROLE_FACTS_SQL } from './role-statements.ts';
import { ValidUntilPolicy } from './postgres-config.ts';

/**
 * What the function must know about a role before it changes its password: whether it may
 * log in, its attributes (copied to a clone), and its VALID UNTIL. Read from pg_roles, which
 * every role may read, so a single user can read its own facts.
 */
export interface RoleFacts {
  readonly name: string;
  readonly canLogin: boolean;
  readonly superuser: boolean;
  readonly createDb: boolean;
  readonly createRole: boolean;
  readonly inherit: boolean;
  readonly replication: boolean;
  readonly bypassRls: boolean;
  readonly connectionLimit: number;
  /** ISO 8601 UTC, or undefined when the role has no VALID UNTIL (or `infinity`). */
  readonly validUntil: string | undefined;
  /** VALID UNTIL has passed: password logins fail (and PostgreSQL reports them as a wrong password). */
  readonly expired: boolean;
}

/** Facts of the named roles that exist (a missing role is absent from the map). */
export async function readRoleFacts(
  session: PgSession,
  names: readonly string[],
): Promise<Map<string, RoleFacts>> {
  const rows = [];
  for (const name of new Set(names))
    rows.push(...(await session.query(ROLE_FACTS_SQL, [name], 'role lookup')));
  const facts = new Map<string, RoleFacts>();
  for (const row of rows) {
    const name = String(row['rolname']);
    facts.set(name, {
      name,
      canLogin: row['rolcanlogin'] === true,
      superuser: row['rolsuper'] === true,
      createDb: row['rolcreatedb'] === true,
      createRole: row['rolcreaterole'] === true,
      inherit: row['rolinherit'] === true,
      replication: row['rolreplication'] === true,
      bypassRls: row['rolbypassrls'] === true,
      connectionLimit: Number(row['rolconnlimit']),
      validUntil: typeof row['valid_until'] === 'string' ? row['valid_until'] : undefined,
      expired: row['expired'] === true,
    });
  }
  return facts;
}

export interface ValidUntilDecision {
  /** The VALID UNTIL to set with the new password (ISO 8601), or undefined to leave it alone. */
  readonly extendTo: string | undefined;
}

/**
 * PG_VALID_UNTIL applied to the roles a rotation hands over (the pending login and, in
 * alternating users, the current one): a role whose password expires either stops the
 * rotation before anything changes (`refuse`: ERR_TARGET_ROLE_VALID_UNTIL, or
 * ERR_TARGET_ROLE_EXPIRED when it has already passed), or gets `now + PG_VALID_UNTIL_DAYS`
 * with its new password (`extend`). Roles without VALID UNTIL are left without.
 */
export function decideValidUntil(
  roles: readonly (RoleFacts | undefined)[],
  policy: { readonly validUntil: ValidUntilPolicy; readonly validUntilDays: number },
  context: { readonly host: string; readonly port: number; readonly now: number },
): ValidUntilDecision {
  const expiring = roles.filter((role): role is RoleFacts => role?.validUntil !== undefined);
  if (expiring.length === 0) return { extendTo: undefined };
  if (policy.validUntil === ValidUntilPolicy.extend) {
    const extendTo = new Date(context.now + policy.validUntilDays * 86_400_000).toISOString();
    return { extendTo };
  }
  const first = expiring.find((role) => role.expired) ?? (expiring[0] as RoleFacts);
  const where = `on ${context.host}:${context.port}`;
  if (first.expired) {
    throw new RotationError(
      ErrorCode.ERR_TARGET_ROLE_EXPIRED,
      `Role "${first.name}" ${where} expired at ${first.validUntil} (VALID UNTIL); nothing was ` +
        `changed. Set PG_VALID_UNTIL=extend to give it a new password valid for ` +
        `PG_VALID_UNTIL_DAYS, or clear its VALID UNTIL`,
      { details: { user: first.name, host: context.host, port: context.port, validUntil: first.validUntil } },
    );
  }
  throw new RotationError(
    ErrorCode.ERR_TARGET_ROLE_VALID_UNTIL,
    `Role "${first.name}" ${where} has VALID UNTIL ${first.validUntil}: a new password would ` +
      `still expire then; nothing was changed. Set PG_VALID_UNTIL=extend (new VALID UNTIL: now ` +
      `+ PG_VALID_UNTIL_DAYS), or clear its VALID UNTIL`,
    { details: { user: first.name, host: context.host, port: context.port, validUntil: first.validUntil } },
  );
}

/** ERR_TARGET_ROLE_NOLOGIN: a DBA locked the login; the function does not undo that. */
export function noLoginError(role: string, context: { readonly host: string; readonly port: number }) {
  return new RotationError(
    ErrorCode.ERR_TARGET_ROLE_NOLOGIN,
    `Role "${role}" on ${context.host}:${context.port} is NOLOGIN; the function does not ` +
      `re-enable a login a DBA disabled, and nothing was changed. Run ALTER ROLE ... LOGIN if ` +
      `it should log in again`,
    { details: { user: role, host: context.host, port: context.port } },
  );
}
