import { describe, expect, it } from 'vitest';
import { EnvReader } from '../../shared/config.ts';
import { ErrorCode, RotationError } from '../../shared/errors.ts';
import { DEFAULT_PASSWORD_POLICY, readPasswordPolicy } from '../../shared/password.ts';

describe('EnvReader', () => {
  it('reads typed values with defaults and returns a frozen object', () => {
    const reader = new EnvReader({ A: ' 12 ', B: 'yes', C: 'x,y , z', D: '' });
    const config = reader.done({
      a: reader.int('A', 1),
      b: reader.bool('B', false),
      c: reader.list('C', []),
      d: reader.string('D', 'dflt'),
    });
    expect(config).toEqual({ a: 12, b: true, c: ['x', 'y', 'z'], d: 'dflt' });
    expect(Object.isFrozen(config)).toBe(true);
  });

  it('reports every problem at once by variable name, never by value', () => {
    const reader = new EnvReader({
      PASSWORD_LENGTH: 'abc-secretish',
      EXCLUDE_NUMBERS: 'maybe',
      MODE: 'weird',
    });
    readPasswordPolicy(reader);
    reader.oneOf('MODE', ['a', 'b'], 'a');
    try {
      reader.done({});
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(RotationError);
      const rotationError = error as RotationError;
      expect(rotationError.code).toBe(ErrorCode.ERR_CONFIG_INVALID);
      expect(rotationError.message).toContain('PASSWORD_LENGTH');
      expect(rotationError.message).toContain('EXCLUDE_NUMBERS');
      expect(rotationError.message).toContain('MODE');
      expect(rotationError.message).not.toContain('abc-secretish');
      expect(rotationError.message).not.toContain('maybe');
    }
  });

  it('honours AWS password knobs and keeps spaces in EXCLUDE_CHARACTERS', () => {
    const reader = new EnvReader({
      PASSWORD_LENGTH: '48',
      EXCLUDE_CHARACTERS: ' ;',
      EXCLUDE_PUNCTUATION: 'TRUE',
      REQUIRE_EACH_INCLUDED_TYPE: 'no',
    });
    const policy = readPasswordPolicy(reader);
    expect(reader.problems).toEqual([]);
    expect(policy).toMatchObject({
      PasswordLength: 48,
      ExcludeCharacters: ' ;',
      ExcludePunctuation: true,
      RequireEachIncludedType: false,
    });
  });

  it('keeps AWS defaults when no knob is set', () => {
    const reader = new EnvReader({});
    expect(readPasswordPolicy(reader)).toEqual(DEFAULT_PASSWORD_POLICY);
  });

  it('rejects a policy that excludes every character type', () => {
    const reader = new EnvReader({
      EXCLUDE_NUMBERS: '1',
      EXCLUDE_PUNCTUATION: '1',
      EXCLUDE_UPPERCASE: '1',
      EXCLUDE_LOWERCASE: '1',
    });
    readPasswordPolicy(reader);
    expect(reader.problems.join()).toContain('exclude every character type');
  });

  it('rejects out-of-range lengths', () => {
    const reader = new EnvReader({ PASSWORD_LENGTH: '5000' });
    readPasswordPolicy(reader);
    expect(reader.problems.join()).toContain('PASSWORD_LENGTH must be between 1 and 4096');
  });
});
