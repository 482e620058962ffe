import { describe, expect, it } from 'vitest';
import { ErrorCode, RotationError } from '../../../shared/errors.ts';
import { DEFAULT_PASSWORD_POLICY } from '../../../shared/password.ts';
import { Sensitive } from '../../../shared/sensitive.ts';
import { newPassword } from '../../../functions/postgres/new-password.ts';
import { scripted } from './scripted-passwords.ts';

const GOOD = [
  'Aa1!Aa1!Aa1!Aa1!Aa1!Aa1!Aa1!Aa1!',
  'Bb2#Bb2#Bb2#Bb2#Bb2#Bb2#Bb2#Bb2#',
  'Cc3$Cc3$Cc3$Cc3$Cc3$Cc3$Cc3$Cc3$',
];

describe('newPassword', () => {
  it('returns the first candidate that meets the policy', async () => {
    const generator = scripted([GOOD[0] as string]);
    expect((await newPassword(generator, DEFAULT_PASSWORD_POLICY, [])).reveal()).toBe(GOOD[0]);
    expect(generator.calls).toBe(1);
  });

  it('draws again when a candidate equals one of the recent passwords', async () => {
    const generator = scripted([GOOD[0] as string, GOOD[1] as string, GOOD[2] as string]);
    const password = await newPassword(generator, DEFAULT_PASSWORD_POLICY, [
      new Sensitive(GOOD[0] as string),
      undefined,
      new Sensitive(GOOD[1] as string),
    ]);
    expect(password.reveal()).toBe(GOOD[2]);
    expect(generator.calls).toBe(3);
  });

  it('draws again when a candidate lacks an included character type or holds an excluded character', async () => {
    const generator = scripted(['a'.repeat(32), 'Aa1!Aa1!Aa1!Aa1!Aa1!Aa1!Aa1!Aa1@', GOOD[0] as string]);
    expect((await newPassword(generator, DEFAULT_PASSWORD_POLICY, [])).reveal()).toBe(GOOD[0]);
    expect(generator.calls).toBe(3);
  });

  it('fails with ERR_POLICY_VIOLATION after five bad candidates, naming the rules, not the values', async () => {
    const generator = scripted([GOOD[0] as string]);
    let error: unknown;
    try {
      await newPassword(generator, DEFAULT_PASSWORD_POLICY, [new Sensitive(GOOD[0] as string)]);
    } catch (thrown) {
      error = thrown;
    }
    expect(error).toBeInstanceOf(RotationError);
    expect((error as RotationError).code).toBe(ErrorCode.ERR_POLICY_VIOLATION);
    expect((error as RotationError).message).toContain('reused');
    expect((error as RotationError).message).not.toContain(GOOD[0]);
    expect(generator.calls).toBe(5);
  });
});
