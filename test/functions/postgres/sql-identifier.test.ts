import { describe, expect, it } from 'vitest';
import {
  alternateUsername,
  baseUsername,
  checkIdentifier,
  quoteIdentifier,
  quoteLiteral,
} from '../../../functions/postgres/sql-identifier.ts';

describe('quoteIdentifier', () => {
  it('double-quotes and doubles embedded quotes', () => {
    expect(quoteIdentifier('App "x" User')).toBe('"App ""x"" User"');
    expect(quoteIdentifier('ユーザー')).toBe('"ユーザー"');
  });

  it('refuses a NUL character', () => {
    expect(() => quoteIdentifier('a\0b')).toThrow(TypeError);
  });
});

describe('quoteLiteral', () => {
  it('doubles single quotes and uses E-strings for backslashes', () => {
    expect(quoteLiteral("it's")).toBe("'it''s'");
    expect(quoteLiteral("a\\b'c")).toBe("E'a\\\\b''c'");
  });
});

describe('checkIdentifier', () => {
  it('accepts 63 bytes and rejects 64, counting UTF-8 bytes', () => {
    expect(checkIdentifier('a'.repeat(63))).toBeUndefined();
    expect(checkIdentifier('a'.repeat(64))).toMatch(/64 bytes/);
    expect(checkIdentifier('é'.repeat(32))).toMatch(/64 bytes/);
    expect(checkIdentifier('')).toBe('is empty');
  });
});

describe('alternateUsername', () => {
  it("toggles AWS's _clone suffix", () => {
    expect(alternateUsername('app')).toBe('app_clone');
    expect(alternateUsername('app_clone')).toBe('app');
    expect(baseUsername('app_clone')).toBe('app');
    expect(baseUsername('app')).toBe('app');
  });
});
