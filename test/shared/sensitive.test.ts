import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { Sensitive } from '../../shared/sensitive.ts';

describe('Sensitive', () => {
  const secret = 'hunter2-Sup3r$ecret';
  const wrapped = new Sensitive(secret);

  it('prints as [redacted] through every common path', () => {
    expect(String(wrapped)).toBe('[redacted]');
    expect(`${wrapped}`).toBe('[redacted]');
    expect(JSON.stringify({ password: wrapped })).toBe('{"password":"[redacted]"}');
    expect(inspect({ nested: { password: wrapped } }, { depth: 5 })).not.toContain(secret);
    expect(Object.keys(wrapped)).toEqual([]);
  });

  it('reveals the value only when asked', () => {
    expect(wrapped.reveal()).toBe(secret);
  });

  it('compares without revealing', () => {
    expect(wrapped.equals(new Sensitive(secret))).toBe(true);
    expect(wrapped.equals(new Sensitive('other'))).toBe(false);
  });
});
