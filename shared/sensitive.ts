import { inspect } from 'node:util';
import { REDACTED } from './constants.ts';

/**
 * A secret value in transit. It prints as `[redacted]` through String(), template
 * literals, JSON.stringify and util.inspect (so console.log and loggers), and the raw
 * value lives in a private field that no enumeration reaches. Call `reveal()` only
 * at the driver call that needs the value.
 */
export class Sensitive<T = string> {
  readonly #value: T;

  constructor(value: T) {
    this.#value = value;
  }

  reveal(): T {
    return this.#value;
  }

  /** Compare without revealing to the caller. */
  equals(other: Sensitive<T>): boolean {
    return this.#value === other.#value;
  }

  toString(): string {
    return REDACTED;
  }

  toJSON(): string {
    return REDACTED;
  }

  [inspect.custom](): string {
    return REDACTED;
  }
}

export function sensitive<T>(value: T): Sensitive<T> {
  return new Sensitive(value);
}
