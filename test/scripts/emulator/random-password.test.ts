import { describe, expect, it } from 'vitest';
import {
  DIGITS,
  generatePassword,
  getRandomPassword,
  LOWERCASE,
  PUNCTUATION,
  UPPERCASE,
  type PasswordRules,
} from '../../../scripts/emulator/random-password.ts';
import { ServiceError } from '../../../scripts/emulator/service-error.ts';

const DEFAULTS: PasswordRules = {
  length: 32,
  excludeCharacters: '',
  excludeNumbers: false,
  excludePunctuation: false,
  excludeUppercase: false,
  excludeLowercase: false,
  includeSpace: false,
  requireEachIncludedType: true,
};
const classesIn = (password: string): string[] =>
  [LOWERCASE, UPPERCASE, DIGITS, PUNCTUATION]
    .filter((chars) => [...password].some((char) => chars.includes(char)))
    .map((chars) => chars[0] as string);

describe('GetRandomPassword', () => {
  it('RP1: the default length is 32 and any length from 1 to 4096 works', () => {
    expect(getRandomPassword({})['RandomPassword']).toHaveLength(32);
    expect(generatePassword({ ...DEFAULTS, length: 4096 })).toHaveLength(4096);
    expect(generatePassword({ ...DEFAULTS, length: 1, requireEachIncludedType: false })).toHaveLength(1);
  });

  it('RP2: the default set is letters, digits and the 32 punctuation characters, with every type present', () => {
    expect(PUNCTUATION).toHaveLength(32);
    expect(PUNCTUATION).not.toContain(' ');
    const all = LOWERCASE + UPPERCASE + DIGITS + PUNCTUATION;
    for (let run = 0; run < 200; run += 1) {
      const password = getRandomPassword({ PasswordLength: 4 })['RandomPassword'] as string;
      expect(classesIn(password)).toHaveLength(4);
      for (const char of password) expect(all).toContain(char);
    }
  });

  it('RP3: Exclude* switches and ExcludeCharacters remove characters', () => {
    for (let run = 0; run < 50; run += 1) {
      const password = generatePassword({
        ...DEFAULTS,
        excludeNumbers: true,
        excludePunctuation: true,
        excludeCharacters: 'aeiouAEIOU',
      });
      expect(password).toMatch(/^[b-df-hj-np-tv-zB-DF-HJ-NP-TV-Z]{32}$/);
    }
    expect(
      generatePassword({
        ...DEFAULTS,
        excludeLowercase: true,
        excludeUppercase: true,
        excludePunctuation: true,
      }),
    ).toMatch(/^[0-9]{32}$/);
  });

  it('RP4: IncludeSpace lets a space appear but never requires one', () => {
    let sawSpace = false;
    for (let run = 0; run < 200 && !sawSpace; run += 1)
      sawSpace = generatePassword({ ...DEFAULTS, includeSpace: true, length: 64 }).includes(' ');
    expect(sawSpace).toBe(true);
    // Four characters, four required types: no room for a space even when spaces are allowed.
    for (let run = 0; run < 100; run += 1)
      expect(generatePassword({ ...DEFAULTS, includeSpace: true, length: 4 })).not.toContain(' ');
  });

  it('RP5: a length outside 1-4096 is ValidationException; 1-3 work without RequireEachIncludedType', () => {
    for (const PasswordLength of [0, 4097]) {
      expect(() => getRandomPassword({ PasswordLength })).toThrow(
        expect.objectContaining({ type: 'ValidationException', status: 400 }),
      );
    }
    expect(
      getRandomPassword({ PasswordLength: 3, RequireEachIncludedType: false })['RandomPassword'],
    ).toHaveLength(3);
    expect(() => getRandomPassword({ PasswordLength: 3 })).toThrow(ServiceError);
  });

  it('RP6: required characters land at random positions, not appended in a fixed order', () => {
    // With only a digit required among letters, the digit's position must vary.
    const positions = new Set<number>();
    for (let run = 0; run < 200; run += 1) {
      const password = generatePassword({
        ...DEFAULTS,
        length: 8,
        excludePunctuation: true,
        excludeCharacters: '012345678',
      });
      expect(password).toContain('9');
      positions.add(password.indexOf('9'));
    }
    expect(positions.size).toBeGreaterThan(4);
  });

  it('RP6: impossible rules are InvalidParameterException (400), never a crash', () => {
    const everything = {
      ...DEFAULTS,
      excludeLowercase: true,
      excludeUppercase: true,
      excludeNumbers: true,
      excludePunctuation: true,
    };
    expect(() => generatePassword(everything)).toThrow(
      expect.objectContaining({ type: 'InvalidParameterException', status: 400 }),
    );
    // Excluding every digit by character makes digits an excluded type, not an unmeetable requirement.
    expect(generatePassword({ ...DEFAULTS, excludeCharacters: DIGITS })).toMatch(/^[^0-9]{32}$/);
  });
});
