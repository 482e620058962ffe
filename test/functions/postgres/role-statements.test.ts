import { describe, expect, it } from 'vitest';
import { ADMIN_CATALOG_SQL, PIN_SEARCH_PATH_SQL } from '../../../functions/postgres/role-statements.ts';

// Admin sessions run in a database the rotated user may own (issue 14, attack 2): every
// operator, function and type in the catalog SQL must be named by schema, so nothing that
// user defines in `public` can be resolved in place of the catalog's own.

/** Strip string literals and the `OPERATOR(pg_catalog.x)` / `pg_catalog.name` forms that are safe. */
function unqualified(sql: string): { operators: string[]; functions: string[]; casts: string[] } {
  const text = sql.replace(/'(?:[^']|'')*'/g, "''");
  const withoutQualifiedOperators = text.replace(/OPERATOR\(pg_catalog\.[^)\s]+\)/g, ' ');
  const operators = withoutQualifiedOperators.match(/[=<>!~+\-*/%^|&#@]+/g) ?? [];
  const functions = [...text.matchAll(/(?<![.\w])([A-Za-z_][\w$]*)\s*\(/g)]
    .map((match) => match[1] as string)
    .filter((name) => !['OPERATOR', 'AS', 'IN', 'ON'].includes(name.toUpperCase()));
  const casts = [...text.matchAll(/::\s*([A-Za-z_][\w$.]*)/g)].map((match) => match[1] as string);
  return { operators, functions, casts: casts.filter((name) => !name.startsWith('pg_catalog.')) };
}

describe('admin catalog SQL', () => {
  it.each(ADMIN_CATALOG_SQL.map((sql) => [sql.slice(0, 60), sql] as const))(
    'names every operator, function and type by schema: %s…',
    (_label, sql) => {
      expect(unqualified(sql)).toEqual({ operators: [], functions: [], casts: [] });
    },
  );

  it('the checker itself finds an unqualified operator, function and cast', () => {
    expect(unqualified("SELECT count(x)::int FROM pg_catalog.pg_roles WHERE rolname = 'a'")).toEqual({
      operators: ['='],
      functions: ['count'],
      casts: ['int'],
    });
  });

  it('pins the search path to the catalog and the session temp schema', () => {
    expect(PIN_SEARCH_PATH_SQL).toBe(
      "SELECT pg_catalog.set_config('search_path', 'pg_catalog, pg_temp', false)",
    );
  });
});
