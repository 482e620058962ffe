import { describe, expect, it } from 'vitest';
import { errorText, LeakDetector } from '../../../scripts/chaos/leak-detector.ts';

describe('LeakDetector', () => {
  const password = 'x7"Q!pz#Lm9$wR2&';

  it('finds a recorded value verbatim, JSON-escaped and URL-encoded', () => {
    const leaks = new LeakDetector();
    leaks.add(password, 'test password');
    expect(leaks.scan('raw', `login with ${password}`)).toHaveLength(1);
    expect(leaks.scan('json', JSON.stringify({ message: `pw ${password}` }))).toHaveLength(1);
    expect(leaks.scan('url', `postgres://app:${encodeURIComponent(password)}@db/app`)).toHaveLength(1);
    expect(leaks.scan('clean', 'login with [redacted]')).toEqual([]);
  });

  it('records the secret fields of a stored JSON secret and the password of a URL secret, not the identifiers', () => {
    const leaks = new LeakDetector();
    leaks.addSecretString(
      JSON.stringify({ username: 'application_user', password, host: 'db.internal.example' }),
      'secret v1',
    );
    leaks.addSecretString(
      `postgresql://application_user:${encodeURIComponent('Url-Secret-Value-42')}@db:5432/app`,
      'secret v2',
    );
    expect(leaks.scan('log', 'rotating application_user on db.internal.example')).toEqual([]);
    expect(leaks.scan('log', `value ${password}`)[0]?.valueOrigin).toBe('secret v1 field password');
    expect(leaks.scan('log', 'oops Url-Secret-Value-42')[0]?.valueOrigin).toBe('secret v2 url password');
  });

  it('finds key material inside a keyring but not its identifiers', () => {
    const leaks = new LeakDetector();
    leaks.addSecretString(
      JSON.stringify({ keys: [{ kid: 'k1', alg: 'HS256', secret: 'c2lnbmluZy1rZXktbWF0ZXJpYWw' }] }),
      'jwt v1',
    );
    expect(leaks.scan('log', 'c2lnbmluZy1rZXktbWF0ZXJpYWw')).toHaveLength(1);
    expect(leaks.scan('log', 'revoked kid k1 and 2026-11-23T10:00:00Z')).toEqual([]);
  });

  it('ignores values too short to be secrets and redacts what it reports', () => {
    const leaks = new LeakDetector();
    leaks.add('abc', 'short');
    leaks.add(password, 'long');
    expect(leaks.scan('log', 'abc')).toEqual([]);
    const [finding] = leaks.scan('log', `before ${password} after`);
    expect(finding?.excerpt).toBe('before <secret> after');
  });

  it('reads error messages, codes, details and causes', () => {
    const error = Object.assign(new Error('outer', { cause: new Error(`inner ${password}`) }), {
      code: 'ERR_X',
      details: { user: 'app' },
    });
    const text = errorText(error);
    expect(text).toContain('ERR_X');
    expect(text).toContain('"user":"app"');
    expect(text).toContain(password);
  });
});
