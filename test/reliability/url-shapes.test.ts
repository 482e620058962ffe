import { describe, expect, it } from 'vitest';
import { parsePostgresSecret } from '../../functions/postgres/postgres-secret.ts';
import { parseRedisSecret } from '../../functions/redis/redis-secret.ts';
import { errorText } from '../../scripts/chaos/leak-detector.ts';
import { Sensitive } from '../../shared/sensitive.ts';

// Issue 14, attack 5: URLs built to break parsers. A password written raw (not
// percent-encoded) with "@", "/", ":", "#" or "?" must either be read back exactly, or be
// refused with an error holding no fragment of it (6+ characters): before, a piece of the
// password became the host, and the host is logged, shown in errors and in the CLI.
const where = { versionId: 'v1', stage: 'AWSCURRENT' };
const PIECES = ['Qx7fRt', 'Vb2mZk', 'Hn8wLp', 'Jc4sYd'];
const SEPARATORS = ['@', '/', ':', '#', '?', '@/', '/@', '#@', '?@', ':@/', '@@'];

function shapes(): string[] {
  const out: string[] = [];
  for (const a of SEPARATORS)
    for (const b of SEPARATORS) out.push(`${PIECES[0]}${a}${PIECES[1]}${b}${PIECES[2]}${PIECES[3]}`);
  return out;
}

function fragments(value: string, length = 6): string[] {
  const out: string[] = [];
  for (let i = 0; i + length <= value.length; i += 1) out.push(value.slice(i, i + length));
  return out;
}

type Parse = (text: string) => { host: string; password: Sensitive<string>; username?: string | undefined };
const kinds: [string, (password: string) => string, Parse][] = [
  [
    'postgresql',
    (password) => `postgresql://app:${password}@db.internal:5432/orders`,
    (text) => parsePostgresSecret(new Sensitive(text), where),
  ],
  [
    'redis',
    (password) => `redis://app:${password}@cache.internal:6379/0`,
    (text) => parseRedisSecret(new Sensitive(text), where),
  ],
];

describe.each(kinds)('%s URLs with raw @ / : # ? in the password', (_kind, url, parse) => {
  it(`reads each of ${SEPARATORS.length ** 2} shapes back exactly or refuses it without a fragment`, () => {
    let exact = 0;
    let refused = 0;
    for (const password of shapes()) {
      let parsed: ReturnType<Parse> | undefined;
      let error: unknown;
      try {
        parsed = parse(url(password));
      } catch (thrown) {
        error = thrown;
      }
      if (parsed !== undefined) {
        // Accepted: then it must be the real host and the whole password, nothing shifted.
        expect(parsed.password.reveal(), password).toBe(password);
        expect(parsed.host).toMatch(/^(db|cache)\.internal$/);
        exact += 1;
      } else {
        expect((error as { code?: string }).code).toBe('ERR_SECRET_MALFORMED');
        const text = errorText(error);
        for (const fragment of fragments(password)) expect(text, password).not.toContain(fragment);
        refused += 1;
      }
    }
    expect(exact + refused).toBe(SEPARATORS.length ** 2);
    expect(refused).toBeGreaterThan(0);
  });
});

// Issue 14, attack 7: identifiers with terminal escape codes, newlines or bidi overrides are
// refused by every parser, naming the field and never echoing the value.
describe('control characters in identifiers', () => {
  const HOSTILE = [
    '\u001b[2J\u001b[31mPWNED',
    'line\nforged log line',
    'bidi\u202eevil',
    'bell\u0007',
    'nul\u0000',
  ];

  it.each(HOSTILE.map((value) => [JSON.stringify(value), value] as const))(
    'refuses %s in PostgreSQL and Redis user names, hosts and ids',
    (_label, value) => {
      const pg = (extra: object) =>
        parsePostgresSecret(
          new Sensitive(JSON.stringify({ host: 'h', username: 'u', password: 's3cr3t-value', ...extra })),
          where,
        );
      const redis = (extra: object) =>
        parseRedisSecret(
          new Sensitive(JSON.stringify({ host: 'h', password: 's3cr3t-value', ...extra })),
          where,
        );
      for (const run of [
        () => pg({ username: value }),
        () => pg({ host: value }),
        () => pg({ dbname: value }),
        () => pg({ masterarn: value }),
        () => pg({ engine: value }),
        () => parsePostgresSecret(new Sensitive(`postgresql://${encodeURIComponent(value)}:pw@h/db`), where),
        () => redis({ username: value }),
        () => redis({ host: value }),
        () => redis({ mode: value }),
        () => redis({ adminSecretArn: value }),
        () => redis({ nodes: [{ host: value, port: 1 }] }),
        () => parseRedisSecret(new Sensitive(`redis://${encodeURIComponent(value)}:pw@h:6379`), where),
      ]) {
        let error: unknown;
        try {
          run();
        } catch (thrown) {
          error = thrown;
        }
        expect((error as { code?: string }).code).toBe('ERR_SECRET_MALFORMED');
        expect(errorText(error)).not.toContain(value);
      }
    },
  );
});
