import type { PgSession } from './pg-connector.ts';
import type { RoleFacts } from './role-facts.ts';
import { IS_DIRECT_MEMBER_SQL, ROLE_SETTINGS_SQL, grantRoleSql } from './role-statements.ts';
import { quoteIdentifier, quoteLiteral } from './sql-identifier.ts';

/**
 * Alternating users keep `<user>_clone` a faithful copy of `<user>`, checked and repaired as
 * the admin in setSecret's transaction every time the clone is the login being handed out:
 *
 * - membership: the clone is a member of the original (AWS grants it once, on creation; a
 *   clone that existed before, or lost the grant, gets it again);
 * - attributes: SUPERUSER, CREATEDB, CREATEROLE, INHERIT, REPLICATION, BYPASSRLS and
 *   CONNECTION LIMIT are copied from the original (only those that differ are sent, so an
 *   admin without superuser can still copy what it may grant);
 * - per-role settings (`ALTER ROLE ... [IN DATABASE ...] SET`, e.g. search_path or
 *   statement_timeout) are copied: the clone's are reset and the original's applied, for
 *   every database, when they differ.
 *
 * LOGIN is never copied nor re-granted (a NOLOGIN clone is refused, see noLoginError), and
 * VALID UNTIL follows PG_VALID_UNTIL, not the original. testSecret then proves the pending
 * login holds every membership the current login holds (login-probe membership check).
 */

export interface CopiedChanges {
  readonly membershipRepaired: boolean;
  readonly attributes: readonly string[];
  readonly settingsCopied: boolean;
}

/** Parameters whose list values PostgreSQL stores as quoted identifiers (GUC_LIST_QUOTE, as pg_dump lists them). */
const LIST_QUOTED = new Set([
  'search_path',
  'temp_tablespaces',
  'session_preload_libraries',
  'shared_preload_libraries',
  'local_preload_libraries',
  'unix_socket_directories',
]);

/** The attribute keywords that make `target` match `source`, for ALTER ROLE ... WITH. */
export function attributeChanges(source: RoleFacts, target: RoleFacts): string[] {
  const flags: [boolean, boolean, string][] = [
    [source.superuser, target.superuser, 'SUPERUSER'],
    [source.createDb, target.createDb, 'CREATEDB'],
    [source.createRole, target.createRole, 'CREATEROLE'],
    [source.inherit, target.inherit, 'INHERIT'],
    [source.replication, target.replication, 'REPLICATION'],
    [source.bypassRls, target.bypassRls, 'BYPASSRLS'],
  ];
  const changes = flags
    .filter(([wanted, has]) => wanted !== has)
    .map(([wanted, , word]) => (wanted ? word : `NO${word}`));
  if (source.connectionLimit !== target.connectionLimit)
    changes.push(`CONNECTION LIMIT ${Math.trunc(source.connectionLimit)}`);
  return changes;
}

/** PostgreSQL's SplitGUCList: comma-separated, elements optionally double-quoted ("" inside). */
export function splitGucList(value: string): string[] {
  const items: string[] = [];
  let index = 0;
  const skipSpace = () => {
    while (index < value.length && /\s/.test(value[index] as string)) index += 1;
  };
  skipSpace();
  if (index >= value.length) return items;
  for (;;) {
    let item = '';
    if (value[index] === '"') {
      index += 1;
      for (;;) {
        if (index >= value.length) return items;
        if (value[index] === '"') {
          if (value[index + 1] === '"') {
            item += '"';
            index += 2;
            continue;
          }
          index += 1;
          break;
        }
        item += value[index];
        index += 1;
      }
    } else {
      while (index < value.length && value[index] !== ',' && !/\s/.test(value[index] as string)) {
        item += value[index];
        index += 1;
      }
    }
    items.push(item);
    skipSpace();
    if (index >= value.length) return items;
    if (value[index] !== ',') return items;
    index += 1;
    skipSpace();
  }
}

/** `ALTER ROLE <role> [IN DATABASE <db>] SET <name> = <value>` for one pg_db_role_setting entry ("name=value"). */
export function setSettingSql(role: string, database: string | undefined, entry: string): string {
  const equals = entry.indexOf('=');
  const name = entry.slice(0, equals);
  const raw = entry.slice(equals + 1);
  const value = LIST_QUOTED.has(name.toLowerCase())
    ? splitGucList(raw).map(quoteLiteral).join(', ')
    : quoteLiteral(raw);
  return `ALTER ROLE ${quoteIdentifier(role)}${inDatabase(database)} SET ${quoteIdentifier(name)} = ${value}`;
}

function inDatabase(database: string | undefined): string {
  return database === undefined ? '' : ` IN DATABASE ${quoteIdentifier(database)}`;
}

type SettingsByDatabase = Map<string | undefined, string[]>;

async function settingsOf(
  session: PgSession,
  roles: readonly string[],
): Promise<Map<string, SettingsByDatabase>> {
  const rows = [];
  for (const role of roles)
    rows.push(...(await session.query(ROLE_SETTINGS_SQL, [role], 'role settings lookup')));
  const byRole = new Map<string, SettingsByDatabase>(roles.map((role) => [role, new Map()]));
  for (const row of rows) {
    const database = typeof row['datname'] === 'string' ? row['datname'] : undefined;
    const config = Array.isArray(row['setconfig']) ? (row['setconfig'] as unknown[]).map(String) : [];
    byRole.get(String(row['rolname']))?.set(database, config);
  }
  return byRole;
}

const same = (a: readonly string[] = [], b: readonly string[] = []): boolean =>
  a.length === b.length && [...a].sort().every((entry, index) => entry === [...b].sort()[index]);

/**
 * Give `clone` the attributes and per-role settings of `original`, and (`membership`, clone
 * naming) make it a member of `original`; in the caller's transaction. In owner-role naming
 * both logins are members of the owner role instead, which the strategy sees to.
 */
export async function copyOriginalToClone(
  session: PgSession,
  original: RoleFacts,
  clone: RoleFacts,
  membership: boolean,
): Promise<CopiedChanges> {
  let membershipRepaired = false;
  if (
    membership &&
    (await session.query(IS_DIRECT_MEMBER_SQL, [original.name, clone.name], 'catalog lookup')).length === 0
  ) {
    await session.query(grantRoleSql(original.name, clone.name), undefined, 'GRANT');
    membershipRepaired = true;
  }
  const attributes = attributeChanges(original, clone);
  if (attributes.length > 0)
    await session.query(
      `ALTER ROLE ${quoteIdentifier(clone.name)} WITH ${attributes.join(' ')}`,
      undefined,
      'ALTER ROLE attributes',
    );
  const settings = await settingsOf(session, [original.name, clone.name]);
  const from = settings.get(original.name) ?? new Map();
  const to = settings.get(clone.name) ?? new Map();
  let settingsCopied = false;
  for (const database of new Set([...from.keys(), ...to.keys()])) {
    const wanted = from.get(database) ?? [];
    if (same(wanted, to.get(database))) continue;
    settingsCopied = true;
    await session.query(
      `ALTER ROLE ${quoteIdentifier(clone.name)}${inDatabase(database)} RESET ALL`,
      undefined,
      'ALTER ROLE RESET',
    );
    for (const entry of wanted)
      await session.query(setSettingSql(clone.name, database, entry), undefined, 'ALTER ROLE SET');
  }
  return { membershipRepaired, attributes, settingsCopied };
}
