import { describe, expect, it } from 'vitest';
import type { RotationError } from '../../../shared/errors.ts';
import { ErrorCode } from '../../../shared/errors.ts';
import {
  DEFAULT_PASSWORD_POLICY,
  type PasswordGenerator,
  type PasswordPolicy,
} from '../../../shared/password.ts';
import { Sensitive } from '../../../shared/sensitive.ts';
import { elastiCachePasswordViolations } from '../../../functions/redis/elasticache-port.ts';
import { RedisMode } from '../../../functions/redis/redis-mode.ts';
import { generateRedisPassword, policyForMode } from '../../../functions/redis/redis-passwords.ts';

function sequence(values: string[]): PasswordGenerator & { policies: PasswordPolicy[] } {
  const policies: PasswordPolicy[] = [];
  let i = 0;
  return {
    policies,
    generate: async (policy) => {
      policies.push(policy);
      return new Sensitive(values[Math.min(i++, values.length - 1)] as string);
    },
  };
}

describe('policyForMode', () => {
  it('keeps AWS defaults (32 characters) for self-hosted modes', () => {
    expect(policyForMode(RedisMode.acl, DEFAULT_PASSWORD_POLICY)).toBe(DEFAULT_PASSWORD_POLICY);
    expect(policyForMode(RedisMode.requirepass, DEFAULT_PASSWORD_POLICY).PasswordLength).toBe(32);
  });

  it('excludes @, " and / for ElastiCache users and limits token specials to !&#$^<>-', () => {
    const user = policyForMode(RedisMode.elasticacheUser, {
      ...DEFAULT_PASSWORD_POLICY,
      ExcludeCharacters: '',
    });
    for (const ch of '@"/') expect(user.ExcludeCharacters).toContain(ch);
    const token = policyForMode(RedisMode.elasticacheAuthToken, {
      ...DEFAULT_PASSWORD_POLICY,
      ExcludeCharacters: '',
    });
    for (const ch of '!&#$^<>-') expect(token.ExcludeCharacters).not.toContain(ch);
    for (const ch of '%*()+,./:;=?@[]_{|}~"\'\\`') expect(token.ExcludeCharacters).toContain(ch);
    expect(token.IncludeSpace).toBe(false);
  });

  it.each([8, 15, 129])('refuses PASSWORD_LENGTH %i for ElastiCache, naming the variable', (length) => {
    try {
      policyForMode(RedisMode.elasticacheAuthToken, { ...DEFAULT_PASSWORD_POLICY, PasswordLength: length });
      expect.unreachable();
    } catch (error) {
      expect((error as RotationError).code).toBe(ErrorCode.ERR_POLICY_VIOLATION);
      expect((error as RotationError).message).toContain('PASSWORD_LENGTH');
    }
  });
});

describe('elastiCachePasswordViolations', () => {
  it.each([
    ['short', 'abcDEF123', 'auth-token', true],
    ['at sign', 'abcdefghijklmnop@', 'user', true],
    ['quote', 'abcdefghijklmnop"', 'user', true],
    ['slash', 'abcdefghijklmnop/', 'user', true],
    ['space', 'abcdefgh ijklmnop', 'user', true],
    ['token special %', 'abcdefghijklmnop%', 'auth-token', true],
    ['user special %', 'abcdefghijklmnop%', 'user', false],
    ['token allowed specials', 'abcdefghijklmnop!&#$^<>-', 'auth-token', false],
  ] as const)('%s', (_name, password, kind, bad) => {
    expect(elastiCachePasswordViolations(password, kind).length > 0).toBe(bad);
  });
});

describe('generateRedisPassword', () => {
  it('never returns a password still valid on the server (current or previous)', async () => {
    const gen = sequence(['current-value', 'previous-value', 'fresh-value']);
    const out = await generateRedisPassword(gen, RedisMode.acl, DEFAULT_PASSWORD_POLICY, [
      new Sensitive('current-value'),
      new Sensitive('previous-value'),
    ]);
    expect(out.reveal()).toBe('fresh-value');
    expect(gen.policies).toHaveLength(3);
  });

  it('regenerates a value that breaks ElastiCache rules and gives up after a few attempts', async () => {
    const gen = sequence(['short']);
    await expect(
      generateRedisPassword(gen, RedisMode.elasticacheUser, DEFAULT_PASSWORD_POLICY, []),
    ).rejects.toMatchObject({ code: ErrorCode.ERR_POLICY_VIOLATION });
    expect(gen.policies.length).toBe(5);
  });

  it('passes the tightened policy to the generator', async () => {
    const gen = sequence(['AbcdefghIjklmnop1234567890abcdef']);
    await generateRedisPassword(gen, RedisMode.elasticacheAuthToken, DEFAULT_PASSWORD_POLICY, []);
    expect(gen.policies[0]?.ExcludeCharacters).toContain('%');
  });
});
