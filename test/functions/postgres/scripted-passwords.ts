import type { PasswordGenerator } from '../../../shared/password.ts';
import { Sensitive } from '../../../shared/sensitive.ts';

/** A password generator that returns `values` in order (the last one repeats) and counts its draws. */
export function scripted(values: string[]): PasswordGenerator & { calls: number } {
  const generator = {
    calls: 0,
    async generate() {
      const value = values[Math.min(generator.calls, values.length - 1)] as string;
      generator.calls += 1;
      return new Sensitive(value);
    },
  };
  return generator;
}
