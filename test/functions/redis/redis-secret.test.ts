import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import type { RotationError } from '../../../shared/errors.ts';
import { ErrorCode } from '../../../shared/errors.ts';
import { Sensitive } from '../../../shared/sensitive.ts';
import { RedisMode, resolveMode } from '../../../functions/redis/redis-mode.ts';
import {
  effectiveUsername,
  parseRedisSecret,
  serializeRedisSecret,
  withKnownNodes,
  withPassword,
} from '../../../functions/redis/redis-secret.ts';
import { codeOf } from '../../support/error-code.ts';

const where = { versionId: 'v1', stage: 'AWSCURRENT' };
const parse = (text: string) => parseRedisSecret(new Sensitive(text), where);
const HARD_PASSWORDS = [
  'p@ss:w/rd?#[]%20',
  'sp ace+plus&amp=eq',
  'ünïcødé✓',
  'quote\'"\\back',
  '%%%',
  'a%2Fb',
];

describe('knownNodes (JSON)', () => {
  it('reads, writes back and keeps the nodes a rotation recorded; a URL has no room for them', () => {
    const json = parse(
      JSON.stringify({ host: 'h', password: 'pw', knownNodes: ['10.0.0.1:6379', '[::1]:7000'] }),
    );
    expect(json.knownNodes).toEqual([
      { host: '10.0.0.1', port: 6379 },
      { host: '::1', port: 7000 },
    ]);
    const text = serializeRedisSecret(withKnownNodes(json, [{ host: 'a', port: 1 }])).reveal();
    expect(JSON.parse(text)).toMatchObject({ knownNodes: ['a:1'], password: 'pw' });
    const url = parse('redis://:pw@h:6379');
    expect(withKnownNodes(url, [{ host: 'a', port: 1 }]).knownNodes).toEqual([]);
    expect(codeOf(() => parse(JSON.stringify({ host: 'h', password: 'pw', knownNodes: 'a:1' })))).toBe(
      ErrorCode.ERR_SECRET_MALFORMED,
    );
  });
});

describe('parseRedisSecret (URL)', () => {
  it('reads user, password, host, port and db from a redis:// URL', () => {
    const secret = parse('redis://app:s3cret@cache.internal:6380/2');
    expect(secret).toMatchObject({
      format: 'url',
      host: 'cache.internal',
      port: 6380,
      username: 'app',
      db: 2,
      tls: false,
    });
    expect(secret.password.reveal()).toBe('s3cret');
  });

  it('treats rediss:// as TLS and defaults the port, db and user', () => {
    const secret = parse('rediss://:tok@cache.internal');
    expect(secret).toMatchObject({ tls: true, port: 6379, db: 0, username: undefined });
    expect(effectiveUsername(secret)).toBe('default');
  });

  it('decodes percent-encoded passwords', () => {
    expect(parse('redis://:p%40ss%2Fw%3Ard@h:1').password.reveal()).toBe('p@ss/w:rd');
  });

  it('refuses a URL without a password, naming the field and not echoing the URL', () => {
    const error = (() => {
      try {
        parse('redis://app@host.example:6379');
      } catch (thrown) {
        return thrown as RotationError;
      }
      return undefined;
    })();
    expect(error?.code).toBe(ErrorCode.ERR_SECRET_MALFORMED);
    expect(error?.details['field']).toBe('password');
    expect(error?.message).not.toContain('host.example');
  });

  it('refuses broken percent-encoding without echoing the password', () => {
    let message = '';
    try {
      parse('redis://:abc%zzsecretvalue@h:1');
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toContain('percent-encoded');
    expect(message).not.toContain('secretvalue');
  });

  it('refuses a non-numeric db path', () => {
    expect(codeOf(() => parse('redis://:p@h:1/abc'))).toBe(ErrorCode.ERR_SECRET_MALFORMED);
  });

  it('reads the database from ?db= as redis-py and others do, and refuses a path that disagrees', () => {
    expect(parse('redis://:pw@host:6379?db=3').db).toBe(3);
    expect(parse('redis://:pw@host:6379/3?db=3').db).toBe(3);
    expect(codeOf(() => parse('redis://:pw@host:6379/2?db=3'))).toBe(ErrorCode.ERR_SECRET_MALFORMED);
    expect(codeOf(() => parse('redis://:pw@host:6379?db=x'))).toBe(ErrorCode.ERR_SECRET_MALFORMED);
    const text = serializeRedisSecret(
      withPassword(parse('redis://:pw@host:6379?db=3'), new Sensitive('n')),
    ).reveal();
    expect(text).toBe('redis://:n@host:6379?db=3');
  });

  it.each(HARD_PASSWORDS)('round-trips the password %j through the URL form', (password) => {
    const original = parse('redis://app:old@cache:6380/3?mode=acl');
    const text = serializeRedisSecret(withPassword(original, new Sensitive(password))).reveal();
    const again = parse(text);
    expect(again.password.reveal()).toBe(password);
    expect(again).toMatchObject({ username: 'app', host: 'cache', port: 6380, db: 3, mode: 'acl' });
    expect(text.startsWith('redis://app:')).toBe(true);
    expect(text.endsWith('@cache:6380/3?mode=acl')).toBe(true);
  });

  it('keeps an empty username empty when serialising', () => {
    const text = serializeRedisSecret(
      withPassword(parse('rediss://:old@h:6379/0'), new Sensitive('new')),
    ).reveal();
    expect(text).toBe('rediss://:new@h:6379/0');
  });
});

describe('parseRedisSecret (JSON)', () => {
  it('applies defaults for port, username, tls and db', () => {
    const secret = parse(JSON.stringify({ host: 'h', password: 'p' }));
    expect(secret).toMatchObject({
      format: 'json',
      port: 6379,
      username: undefined,
      tls: false,
      db: 0,
      nodes: [],
    });
    expect(effectiveUsername(secret)).toBe('default');
  });

  it('reads "ssl" like "tls" and refuses the two when they disagree', () => {
    const json = (extra: object) => JSON.stringify({ host: 'h', password: 's3cr3t-value', ...extra });
    expect(parse(json({ ssl: true })).tls).toBe(true);
    expect(parse(json({ ssl: 'true', tls: true })).tls).toBe(true);
    expect(parse(json({ ssl: false })).tls).toBe(false);
    expect(codeOf(() => parse(json({ ssl: true, tls: false })))).toBe(ErrorCode.ERR_SECRET_CONFLICT);
    expect(codeOf(() => parse(json({ ssl: false, tls: 'true' })))).toBe(ErrorCode.ERR_SECRET_CONFLICT);
  });

  it('refuses URL parameters that disagree with the scheme or with themselves', () => {
    expect(codeOf(() => parse('redis://u:s3cr3t-value@h:6379?tls=true'))).toBe(ErrorCode.ERR_SECRET_CONFLICT);
    expect(codeOf(() => parse('rediss://u:s3cr3t-value@h:6379?ssl=false'))).toBe(
      ErrorCode.ERR_SECRET_CONFLICT,
    );
    expect(codeOf(() => parse('redis://u:s3cr3t-value@h?adminSecretArn=arn:a&adminSecretArn=arn:b'))).toBe(
      ErrorCode.ERR_SECRET_CONFLICT,
    );
    expect(parse('rediss://u:s3cr3t-value@h:6379?tls=true').tls).toBe(true);
  });

  it('reads mode-specific fields and node lists', () => {
    const secret = parse(
      JSON.stringify({
        host: 'h',
        port: '6390',
        password: 'p',
        username: 'app',
        tls: true,
        db: 1,
        mode: 'requirepass',
        nodes: ['r1:7000', { host: 'r2', port: 7001 }, 'r3'],
        adminSecretArn: 'arn:admin',
      }),
    );
    expect(secret).toMatchObject({
      port: 6390,
      username: 'app',
      tls: true,
      db: 1,
      mode: 'requirepass',
      adminSecretArn: 'arn:admin',
    });
    expect(secret.nodes).toEqual([
      { host: 'r1', port: 7000 },
      { host: 'r2', port: 7001 },
      { host: 'r3', port: 6379 },
    ]);
  });

  it('takes the user id from AWS template user_arn', () => {
    const secret = parse(
      JSON.stringify({
        host: 'h',
        password: 'p',
        user_arn: 'arn:aws:elasticache:us-east-1:123456789012:user:app-user',
      }),
    );
    expect(secret.userId).toBe('app-user');
    expect(resolveMode(secret, RedisMode.acl)).toBe(RedisMode.elasticacheUser);
  });

  it('infers the auth-token mode from replicationGroupId and falls back to the env default', () => {
    expect(
      resolveMode(
        parse(JSON.stringify({ host: 'h', password: 'p', replicationGroupId: 'rg' })),
        RedisMode.acl,
      ),
    ).toBe(RedisMode.elasticacheAuthToken);
    expect(resolveMode(parse(JSON.stringify({ host: 'h', password: 'p' })), RedisMode.requirepass)).toBe(
      RedisMode.requirepass,
    );
    expect(
      resolveMode(
        parse(JSON.stringify({ host: 'h', password: 'p', mode: 'acl', replicationGroupId: 'rg' })),
        RedisMode.requirepass,
      ),
    ).toBe(RedisMode.acl);
  });

  it('refuses an unknown mode with ERR_UNSUPPORTED_MODE', () => {
    expect(codeOf(() => parse(JSON.stringify({ host: 'h', password: 'p', mode: 'cluster-magic' })))).toBe(
      ErrorCode.ERR_UNSUPPORTED_MODE,
    );
    expect(codeOf(() => parse('redis://:p@h:1?mode=nope'))).toBe(ErrorCode.ERR_UNSUPPORTED_MODE);
  });

  it.each([
    ['missing host', { password: 'p' }],
    ['missing password', { host: 'h' }],
    ['empty password', { host: 'h', password: '' }],
    ['port out of range', { host: 'h', password: 'p', port: 70000 }],
    ['tls not boolean', { host: 'h', password: 'p', tls: 'maybe' }],
    ['nodes not array', { host: 'h', password: 'p', nodes: 'r1:1' }],
  ])('refuses %s with ERR_SECRET_MALFORMED', (_name, value) => {
    expect(codeOf(() => parse(JSON.stringify(value)))).toBe(ErrorCode.ERR_SECRET_MALFORMED);
  });

  it('refuses text that is neither URL nor JSON without echoing it', () => {
    let message = '';
    try {
      parse('hunter2-plaintext');
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).not.toContain('hunter2');
    expect(codeOf(() => parse('{not json hunter2'))).toBe(ErrorCode.ERR_SECRET_MALFORMED);
  });

  it('keeps unknown fields and the field order, replacing only the password', () => {
    const text = JSON.stringify({
      engine: 'redis',
      host: 'h',
      password: 'old',
      extra: { nested: [1, 2] },
      port: 6380,
    });
    const out = JSON.parse(
      serializeRedisSecret(withPassword(parse(text), new Sensitive('new"pw\\'))).reveal(),
    );
    expect(out).toEqual({
      engine: 'redis',
      host: 'h',
      password: 'new"pw\\',
      extra: { nested: [1, 2] },
      port: 6380,
    });
    expect(Object.keys(out)).toEqual(['engine', 'host', 'password', 'extra', 'port']);
  });

  it('never shows the password when the parsed secret is printed', () => {
    const secret = parse(JSON.stringify({ host: 'h', password: 'visible-if-leaked' }));
    expect(JSON.stringify({ password: secret.password })).not.toContain('visible-if-leaked');
    expect(String(secret.password)).not.toContain('visible-if-leaked');
  });
});

describe('parsed secrets in logs', () => {
  it.each(['redis://app:leakme@h:1/0', JSON.stringify({ host: 'h', password: 'leakme' })])(
    'print no password for %s',
    (text) => {
      const secret = parse(text);
      expect(JSON.stringify(secret)).not.toContain('leakme');
      expect(inspect(secret, { depth: 10 })).not.toContain('leakme');
    },
  );
});

describe('sentinels (JSON)', () => {
  it('reads sentinels (default port 26379), the master name and the sentinel credential; host becomes optional', () => {
    const secret = parse(
      JSON.stringify({
        sentinels: ['10.0.0.1', '10.0.0.2:26380', { host: 's3' }],
        sentinelMaster: 'mymaster',
        sentinelUsername: 'watcher',
        sentinelPassword: 'sentinel-pw',
        sentinelAuthPass: true,
        username: 'app',
        password: 'pw',
      }),
    );
    expect(secret.host).toBe('');
    expect(secret.sentinel?.sentinels).toEqual([
      { host: '10.0.0.1', port: 26379 },
      { host: '10.0.0.2', port: 26380 },
      { host: 's3', port: 26379 },
    ]);
    expect(secret.sentinel?.masterName).toBe('mymaster');
    expect(secret.sentinel?.authPass).toBe(true);
    expect(secret.sentinel?.credentials?.username).toBe('watcher');
    expect(secret.sentinel?.credentials?.password.reveal()).toBe('sentinel-pw');
    expect(inspect(secret, { depth: 5 })).not.toContain('sentinel-pw');
    const plain = parse(JSON.stringify({ sentinels: ['s1'], sentinelMaster: 'm', password: 'pw' }));
    expect(plain.sentinel?.credentials).toBeUndefined();
    expect(plain.sentinel?.authPass).toBe(false);
  });

  it('refuses sentinel fields that cannot work, naming the field', () => {
    const bad = (fields: Record<string, unknown>) =>
      codeOf(() => parse(JSON.stringify({ password: 'pw', ...fields })));
    expect(bad({ sentinels: ['s1'] })).toBe(ErrorCode.ERR_SECRET_MALFORMED); // no sentinelMaster
    expect(bad({ host: 'h', sentinelMaster: 'm' })).toBe(ErrorCode.ERR_SECRET_MALFORMED); // no sentinels
    expect(bad({ sentinels: ['s1'], sentinelMaster: 'm', sentinelUsername: 'u' })).toBe(
      ErrorCode.ERR_SECRET_MALFORMED,
    );
    expect(bad({ sentinels: ['s1'], sentinelMaster: 'm', sentinelPassword: 7 })).toBe(
      ErrorCode.ERR_SECRET_MALFORMED,
    );
    expect(bad({ sentinels: 's1', sentinelMaster: 'm' })).toBe(ErrorCode.ERR_SECRET_MALFORMED);
    expect(bad({ sentinels: ['s1'], sentinelMaster: 'm\u001b[2J' })).toBe(ErrorCode.ERR_SECRET_MALFORMED);
    expect(bad({ sentinels: ['s1'], sentinelMaster: 'm', sentinelAuthPass: 'yes' })).toBe(
      ErrorCode.ERR_SECRET_MALFORMED,
    );
  });
});
