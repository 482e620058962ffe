import { describe, expect, it } from 'vitest';
import { EnvReader } from '../../shared/config.ts';
import { ErrorCode, RotationError } from '../../shared/errors.ts';
import { readCoreConfig } from '../../shared/core-config.ts';
import { DEFAULT_PASSWORD_POLICY, PasswordSource, readPasswordPolicy } from '../../shared/password.ts';

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
      FLAG: 'maybe',
      MODE: 'weird',
    });
    reader.bool('FLAG', false);
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
      expect(rotationError.message).toContain('FLAG');
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
});

// One test per row of the "Password knobs: AWS's meaning and ours" table (functions/postgres/README.md).
// AWS's functions read them as: os.environ.get('EXCLUDE_CHARACTERS', default) verbatim,
// int(os.environ.get('PASSWORD_LENGTH', default)), and os.environ.get(name, str(default)).lower()
// in ['true', '1', 'y', 'yes'] for every boolean.
describe("password knobs, read as AWS's rotation functions read them", () => {
  const read = (env: Record<string, string>) => {
    const reader = new EnvReader(env);
    const policy = readPasswordPolicy(reader);
    return { policy, problems: reader.problems, warnings: reader.warnings };
  };

  it('EXCLUDE_CHARACTERS unset excludes the defaults; set, even to "", is taken verbatim (empty excludes nothing)', () => {
    expect(read({}).policy.ExcludeCharacters).toBe(':/@"\'\\');
    expect(read({ EXCLUDE_CHARACTERS: '' }).policy.ExcludeCharacters).toBe('');
    expect(read({ EXCLUDE_CHARACTERS: ' ;' }).policy.ExcludeCharacters).toBe(' ;');
  });

  it('PASSWORD_LENGTH parses as Python int() does and names the variable otherwise', () => {
    expect(read({ PASSWORD_LENGTH: ' 48 ' }).policy.PasswordLength).toBe(48);
    expect(read({ PASSWORD_LENGTH: '+40' }).policy.PasswordLength).toBe(40);
    expect(read({ PASSWORD_LENGTH: '6_4' }).policy.PasswordLength).toBe(64);
    for (const bad of ['', '4.0', '0x20', '3__2', 'long'])
      expect(read({ PASSWORD_LENGTH: bad }).problems, bad).toEqual(['PASSWORD_LENGTH must be an integer']);
    for (const outside of ['0', '4097', '-5'])
      expect(read({ PASSWORD_LENGTH: outside }).problems, outside).toEqual([
        'PASSWORD_LENGTH must be between 1 and 4096',
      ]);
  });

  it.each(['EXCLUDE_NUMBERS', 'EXCLUDE_PUNCTUATION', 'EXCLUDE_UPPERCASE', 'EXCLUDE_LOWERCASE'] as const)(
    '%s is true only for true/1/y/yes in any case; "", "on" and " true" are false, as for AWS',
    (name) => {
      const field = {
        EXCLUDE_NUMBERS: 'ExcludeNumbers',
        EXCLUDE_PUNCTUATION: 'ExcludePunctuation',
        EXCLUDE_UPPERCASE: 'ExcludeUppercase',
        EXCLUDE_LOWERCASE: 'ExcludeLowercase',
      } as const;
      for (const yes of ['true', 'TRUE', '1', 'y', 'Y', 'yes', 'Yes'])
        expect(read({ [name]: yes }).policy[field[name]], yes).toBe(true);
      for (const no of ['false', '0', 'n', 'NO']) {
        const result = read({ [name]: no });
        expect(result.policy[field[name]], no).toBe(false);
        expect(result.warnings, no).toEqual([]);
      }
      for (const odd of ['', 'on', ' true', 'enabled']) {
        const result = read({ [name]: odd });
        expect(result.policy[field[name]], odd).toBe(false);
        expect(result.problems, odd).toEqual([]);
        expect(result.warnings.join(), odd).toContain(name);
      }
    },
  );

  it('REQUIRE_EACH_INCLUDED_TYPE defaults to true; set to "" or "on" it is false, as for AWS', () => {
    expect(read({}).policy.RequireEachIncludedType).toBe(true);
    expect(read({ REQUIRE_EACH_INCLUDED_TYPE: 'YES' }).policy.RequireEachIncludedType).toBe(true);
    expect(read({ REQUIRE_EACH_INCLUDED_TYPE: '' }).policy.RequireEachIncludedType).toBe(false);
    expect(read({ REQUIRE_EACH_INCLUDED_TYPE: 'on' }).policy.RequireEachIncludedType).toBe(false);
  });

  it('never names a value in a warning', () => {
    const { warnings } = read({ EXCLUDE_NUMBERS: 'secretish-on' });
    expect(warnings.join()).not.toContain('secretish');
  });
});

describe('password knob defaults', () => {
  it('keeps AWS defaults when no knob is set (kind defaults)', () => {
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

describe('PASSWORD_GENERATOR', () => {
  it('defaults to local and accepts secretsmanager', () => {
    expect(readCoreConfig(new EnvReader({})).passwordSource).toBe(PasswordSource.local);
    expect(readCoreConfig(new EnvReader({ PASSWORD_GENERATOR: 'secretsmanager' })).passwordSource).toBe(
      PasswordSource.secretsManager,
    );
  });

  it('names the variable, not the value, when it is neither', () => {
    const reader = new EnvReader({ PASSWORD_GENERATOR: 'kms-s3cret' });
    readCoreConfig(reader);
    expect(reader.problems.join()).toContain('PASSWORD_GENERATOR must be one of local, secretsmanager');
    expect(reader.problems.join()).not.toContain('kms-s3cret');
  });
});
