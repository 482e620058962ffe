import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { Sensitive } from '../../../shared/sensitive.ts';
import { parseScramVerifier, scramSha256Verifier } from '../../../functions/postgres/scram-verifier.ts';
import { startPostgres, type PostgresServer } from '../../../scripts/testbed/servers.ts';
import { admin, canLogin } from './postgres-harness.ts';

// Our verifier equals the one PostgreSQL computes itself from the same password and salt,
// including passwords that SASLprep changes; and a role given our verifier logs in.

describe('SCRAM-SHA-256 verifiers against PostgreSQL', () => {
  let server: PostgresServer;

  beforeAll(async () => {
    server = await startPostgres();
  });

  afterAll(async () => {
    await server?.destroy();
  });

  it.each([
    ['printable ASCII', 'Aa1!~ "quoted" \\ back`tick'],
    ['non-ASCII space and soft hyphen (mapped by SASLprep)', 'pass\u00A0wo\u00ADrd'],
    ['compatibility characters (NFKC)', 'ｐａｓｓ\uFB01'],
    ['unicode letters', 'pässwörd-ユーザー'],
  ])('matches the server-computed verifier for %s', async (_name, password) => {
    const role = `scram_${Math.random().toString(36).slice(2, 10)}`;
    await admin(server, [
      "SET password_encryption = 'scram-sha-256'",
      `CREATE ROLE ${role} LOGIN PASSWORD ${pg.escapeLiteral(password)}`,
    ]);
    const [row] = await admin(server, [['SELECT rolpassword FROM pg_authid WHERE rolname = $1', [role]]]);
    const stored = row?.['rolpassword'] as string;
    const parts = parseScramVerifier(stored);
    expect(parts).toBeDefined();
    expect(
      scramSha256Verifier(new Sensitive(password), {
        salt: parts?.salt as Buffer,
        iterations: parts?.iterations as number,
      }),
    ).toBe(stored);
  });

  it('gives a role a verifier it logs in with, and the server stores it unchanged', async () => {
    const verifier = scramSha256Verifier(new Sensitive('Fresh-Pw-with:colon'), { iterations: 8192 });
    await admin(server, [`CREATE ROLE scram_login LOGIN PASSWORD ${pg.escapeLiteral(verifier)}`]);
    expect(await admin(server, ["SELECT rolpassword FROM pg_authid WHERE rolname = 'scram_login'"])).toEqual([
      { rolpassword: verifier },
    ]);
    expect(await canLogin(server, 'scram_login', 'Fresh-Pw-with:colon')).toBe(true);
    expect(await canLogin(server, 'scram_login', 'Fresh-Pw-with:colo')).toBe(false);
  });
});
