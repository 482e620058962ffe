import { describe, expect, it } from 'vitest';
import { attributeChanges, setSettingSql, splitGucList } from '../../../functions/postgres/clone-fidelity.ts';
import type { RoleFacts } from '../../../functions/postgres/role-facts.ts';

const role = (overrides: Partial<RoleFacts>): RoleFacts => ({
  name: 'app',
  canLogin: true,
  superuser: false,
  createDb: false,
  createRole: false,
  inherit: true,
  replication: false,
  bypassRls: false,
  connectionLimit: -1,
  validUntil: undefined,
  expired: false,
  ...overrides,
});

describe('clone fidelity statements', () => {
  it('sends only the attributes that differ, as keywords', () => {
    expect(attributeChanges(role({}), role({ name: 'app_clone' }))).toEqual([]);
    expect(
      attributeChanges(
        role({ createDb: true, connectionLimit: 7 }),
        role({ name: 'app_clone', inherit: false, bypassRls: true }),
      ),
    ).toEqual(['CREATEDB', 'INHERIT', 'NOBYPASSRLS', 'CONNECTION LIMIT 7']);
  });

  it('splits list settings as PostgreSQL stores them (quoted elements, doubled quotes)', () => {
    expect(splitGucList('app, "$user", public')).toEqual(['app', '$user', 'public']);
    expect(splitGucList('"we""ird", "a b"')).toEqual(['we"ird', 'a b']);
    expect(splitGucList('')).toEqual([]);
  });

  it('re-issues a list setting element by element and any other setting as one literal', () => {
    expect(setSettingSql('app_clone', undefined, 'search_path=app, "$user", public')).toBe(
      `ALTER ROLE "app_clone" SET "search_path" = 'app', '$user', 'public'`,
    );
    expect(setSettingSql('app_clone', 'other db', 'statement_timeout=5s')).toBe(
      `ALTER ROLE "app_clone" IN DATABASE "other db" SET "statement_timeout" = '5s'`,
    );
    expect(setSettingSql('app_clone', undefined, "app.note=it's=fine")).toBe(
      `ALTER ROLE "app_clone" SET "app.note" = 'it''s=fine'`,
    );
  });
});
