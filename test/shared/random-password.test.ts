import { describe, expect, it } from 'vitest';
import {
  DEFAULT_PASSWORD_POLICY,
  localPasswordGenerator,
  passwordPolicyViolations,
} from '../../shared/password.ts';
import {
  DIGITS,
  ImpossiblePasswordRules,
  LOWERCASE,
  PUNCTUATION,
  randomPassword,
  UPPERCASE,
  type RandomIndex,
} from '../../shared/random-password.ts';
import type { RandomPasswordInput } from '../../shared/secrets-port.ts';
import { isRotationError } from '../../shared/errors.ts';

const ALL: RandomPasswordInput = { ...DEFAULT_PASSWORD_POLICY, ExcludeCharacters: '' };

/** A seeded source (mulberry32), so distribution checks are deterministic: no flaky statistics. */
function seeded(seed: number): RandomIndex {
  let state = seed >>> 0;
  return (bound) => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return Math.floor((((t ^ (t >>> 14)) >>> 0) / 4294967296) * bound);
  };
}

/** Pearson's chi-square statistic of `counts` against equal expected counts. */
function chiSquare(counts: readonly number[]): number {
  const total = counts.reduce((sum, n) => sum + n, 0);
  const expected = total / counts.length;
  return counts.reduce((sum, n) => sum + (n - expected) ** 2 / expected, 0);
}

describe('randomPassword (GetRandomPassword rules, drawn in the function)', () => {
  it("uses AWS's character types: 26 + 26 + 10 letters and digits and the 32 punctuation characters of the API reference", () => {
    expect(PUNCTUATION).toBe('!"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}~');
    expect(new Set(LOWERCASE + UPPERCASE + DIGITS + PUNCTUATION).size).toBe(94);
  });

  it('meets every rule for every combination of switches, exclusions and lengths', () => {
    const random = seeded(1);
    const switches = [false, true];
    let checked = 0;
    for (const ExcludeNumbers of switches)
      for (const ExcludePunctuation of switches)
        for (const ExcludeUppercase of switches)
          for (const ExcludeLowercase of switches)
            for (const IncludeSpace of switches)
              for (const RequireEachIncludedType of switches)
                for (const ExcludeCharacters of ['', ':/@"\'\\', 'abcdefghijklmnopqrstuvwxy012345678', ' '])
                  for (const PasswordLength of [4, 5, 32, 128]) {
                    const policy = {
                      PasswordLength,
                      ExcludeCharacters,
                      ExcludeNumbers,
                      ExcludePunctuation,
                      ExcludeUppercase,
                      ExcludeLowercase,
                      IncludeSpace,
                      RequireEachIncludedType,
                    };
                    const noType =
                      ExcludeNumbers && ExcludePunctuation && ExcludeUppercase && ExcludeLowercase;
                    if (noType && (!IncludeSpace || ExcludeCharacters.includes(' '))) {
                      expect(() => randomPassword(policy, random)).toThrow(ImpossiblePasswordRules);
                      continue;
                    }
                    for (let run = 0; run < 5; run += 1) {
                      const password = randomPassword(policy, random);
                      expect(passwordPolicyViolations(password, policy)).toEqual([]);
                      if (!IncludeSpace || ExcludeCharacters.includes(' '))
                        expect(password).not.toContain(' ');
                      for (const char of ExcludeCharacters) expect(password).not.toContain(char);
                      checked += 1;
                    }
                  }
    expect(checked).toBeGreaterThan(4000);
  });

  it('treats a type whose every character ExcludeCharacters removes as excluded, not missing', () => {
    const policy = { ...ALL, ExcludeCharacters: DIGITS };
    const random = seeded(6);
    for (let run = 0; run < 100; run += 1) {
      const password = randomPassword(policy, random);
      expect(password).toMatch(/^[^0-9]{32}$/);
      expect(passwordPolicyViolations(password, policy)).toEqual([]);
    }
  });

  it('keeps the one character left of a type when ExcludeCharacters removes the rest', () => {
    const policy = { ...ALL, PasswordLength: 4, ExcludeCharacters: '012345678' };
    const random = seeded(2);
    for (let run = 0; run < 500; run += 1) expect(randomPassword(policy, random)).toContain('9');
  });

  it('lets a space appear but never requires one', () => {
    const random = seeded(3);
    const withSpace = Array.from({ length: 200 }, () =>
      randomPassword({ ...ALL, IncludeSpace: true, PasswordLength: 64 }, random),
    );
    expect(withSpace.some((password) => password.includes(' '))).toBe(true);
    expect(withSpace.some((password) => !password.includes(' '))).toBe(true);
  });

  it('draws every character of the pool equally often (chi-square, 93 degrees of freedom)', () => {
    const random = seeded(4);
    const alphabet = LOWERCASE + UPPERCASE + DIGITS + PUNCTUATION;
    const counts = new Map([...alphabet].map((char) => [char, 0]));
    for (let run = 0; run < 4000; run += 1)
      for (const char of randomPassword({ ...ALL, PasswordLength: 32 }, random))
        counts.set(char, (counts.get(char) ?? 0) + 1);
    expect(counts.size).toBe(94);
    // 128,000 characters; the 0.999 quantile of chi-square with 93 degrees of freedom is about 140.
    expect(chiSquare([...counts.values()])).toBeLessThan(140);
  });

  it('makes every valid password equally likely, the required characters at no fixed place', () => {
    // Pool a, b, 1, length 3, a letter and a digit required: the 18 strings of 27 that have both.
    const policy = {
      ...ALL,
      PasswordLength: 3,
      ExcludeUppercase: true,
      ExcludePunctuation: true,
      ExcludeCharacters: LOWERCASE.slice(2) + DIGITS.replace('1', ''),
    };
    const valid: string[] = [];
    for (const x of 'ab1') for (const y of 'ab1') for (const z of 'ab1') valid.push(x + y + z);
    const expected = valid.filter((word) => /[ab]/.test(word) && word.includes('1')).sort();
    expect(expected).toHaveLength(18);
    const random = seeded(5);
    const counts = new Map<string, number>();
    for (let run = 0; run < 36_000; run += 1) {
      const password = randomPassword(policy, random);
      counts.set(password, (counts.get(password) ?? 0) + 1);
    }
    expect([...counts.keys()].sort()).toEqual(expected);
    // 17 degrees of freedom: the 0.999 quantile is 40.8.
    expect(chiSquare([...counts.values()])).toBeLessThan(40.8);
  });

  it('refuses rules no password can meet, naming the rule', () => {
    expect(() => randomPassword({ ...ALL, PasswordLength: 3 })).toThrow(/PasswordLength 3 is too short/);
    expect(() =>
      randomPassword({ ...ALL, ExcludeCharacters: LOWERCASE + UPPERCASE + DIGITS + PUNCTUATION }),
    ).toThrow(/every character is excluded/);
    expect(randomPassword({ ...ALL, PasswordLength: 3, RequireEachIncludedType: false })).toHaveLength(3);
  });
});

describe('localPasswordGenerator', () => {
  it('draws from the real CSPRNG by the policy, each password wrapped and different', async () => {
    const generator = localPasswordGenerator();
    const drawn = await Promise.all(
      Array.from({ length: 50 }, () => generator.generate(DEFAULT_PASSWORD_POLICY)),
    );
    expect(String(drawn[0])).toBe('[redacted]');
    const values = drawn.map((password) => password.reveal());
    expect(new Set(values).size).toBe(50);
    for (const value of values) expect(passwordPolicyViolations(value, DEFAULT_PASSWORD_POLICY)).toEqual([]);
  });

  it('fails impossible rules with ERR_POLICY_VIOLATION', async () => {
    const error = await localPasswordGenerator()
      .generate({ ...DEFAULT_PASSWORD_POLICY, PasswordLength: 2 })
      .catch((thrown: unknown) => thrown);
    expect(isRotationError(error, 'ERR_POLICY_VIOLATION')).toBe(true);
  });
});
