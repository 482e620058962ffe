import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  detectKeyEncoding,
  estimateKeyBytes,
  generateKey,
  KeyEncoding,
  shannonEntropy,
} from '../../../functions/jwt/key-encoding.ts';

describe('detectKeyEncoding', () => {
  it.each([
    ['openssl rand -base64 64', randomBytes(64).toString('base64'), KeyEncoding.base64],
    ['openssl rand -hex 64', randomBytes(64).toString('hex'), KeyEncoding.hex],
    ['upper-case hex', randomBytes(64).toString('hex').toUpperCase(), KeyEncoding.hexUpper],
    [
      'two-line openssl rand -base64 64 output',
      (() => {
        const b = randomBytes(64).toString('base64');
        return `${b.slice(0, 64)}\n${b.slice(64)}`;
      })(),
      KeyEncoding.base64Lines,
    ],
    ['base64 without padding', 'ab+/'.repeat(20) + 'xyz', KeyEncoding.base64Unpadded],
    ['base64url', 'ab-_'.repeat(20) + 'xy', KeyEncoding.base64url],
    ['letters and digits', 'abcXYZ0123456789', KeyEncoding.alphanumeric],
    ['other text', 'correct horse battery staple!', KeyEncoding.printable],
  ])('recognises %s', (_name, text, expected) => {
    expect(detectKeyEncoding(text)).toBe(expected);
  });
});

describe('generateKey', () => {
  it.each(Object.values(KeyEncoding))(
    'makes a %s key that reads back as the same encoding with at least the bytes asked for',
    (encoding) => {
      for (let i = 0; i < 300; i += 1) {
        const key = generateKey(encoding, 64);
        expect(detectKeyEncoding(key)).toBe(encoding);
        expect(estimateKeyBytes(key, encoding)).toBeGreaterThanOrEqual(64);
        expect(key).not.toMatch(/^[[{]/);
      }
    },
  );

  it('makes a different key every time', () => {
    const keys = new Set(Array.from({ length: 50 }, () => generateKey(KeyEncoding.base64, 64)));
    expect(keys.size).toBe(50);
  });

  it('keeps the 88-character padded shape of openssl rand -base64 64', () => {
    const key = generateKey(KeyEncoding.base64, 64);
    expect(key).toHaveLength(88);
    expect(Buffer.from(key, 'base64')).toHaveLength(64);
  });

  it('wraps new multi-line base64 keys at 64 characters and they decode to the bytes asked for', () => {
    const key = generateKey(KeyEncoding.base64Lines, 64);
    expect(key.split('\n').map((line) => line.length)).toEqual([64, 24]);
    expect(Buffer.from(key, 'base64')).toHaveLength(64);
  });

  it('decodes hex and base64url keys to exactly the bytes asked for', () => {
    expect(Buffer.from(generateKey(KeyEncoding.hex, 96), 'hex')).toHaveLength(96);
    expect(Buffer.from(generateKey(KeyEncoding.base64url, 64), 'base64url')).toHaveLength(64);
  });
});

describe('estimateKeyBytes', () => {
  it('counts a trailing "=" of a text key as a character, not as base64 padding', () => {
    const text = `${'a!'.repeat(39)}=`;
    expect(estimateKeyBytes(text, KeyEncoding.printable)).toBe(
      estimateKeyBytes(`${'a!'.repeat(39)}b`, KeyEncoding.printable),
    );
    expect(estimateKeyBytes('AAAA'.repeat(21) + 'AA==', KeyEncoding.base64)).toBe(64);
  });
});

describe('shannonEntropy', () => {
  it('scores a repeated character at zero and a random base64 key above 5 bits per character', () => {
    expect(shannonEntropy('aaaaaaaa')).toBe(0);
    expect(shannonEntropy('abab')).toBeCloseTo(1, 5);
    expect(shannonEntropy(randomBytes(64).toString('base64'))).toBeGreaterThan(5);
  });
});
