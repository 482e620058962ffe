import { ServiceError, ServiceErrorType, validation } from './service-error.ts';

/** Lower-camel member path, as AWS names members in ValidationException messages. */
const memberPath = (name: string): string => name.charAt(0).toLowerCase() + name.slice(1);

const typeError = (name: string, expected: string, value: unknown): ServiceError =>
  new ServiceError(
    ServiceErrorType.SerializationException,
    `Member ${name} must be ${expected}, got ${Array.isArray(value) ? 'array' : typeof value}`,
  );

export interface StringRule {
  readonly required?: boolean;
  readonly min?: number;
  readonly max?: number;
  readonly pattern?: RegExp;
  /** Never echo the value in an error (secret values). */
  readonly secret?: boolean;
}

/** I3: the characters a secret name may have. */
export const SECRET_NAME = /^[A-Za-z0-9/_+=.@-]+$/;
export const INVALID_NAME_MESSAGE =
  'Invalid name. Must be a valid name containing alphanumeric characters, or any of the following: -/_+=.@!';

export interface Tag {
  readonly Key: string;
  readonly Value: string;
}

/**
 * Typed access to one request body. Wrong JSON types are SerializationException;
 * model constraints (required, length, range, pattern) are ValidationException.
 */
export class Input {
  constructor(readonly body: Readonly<Record<string, unknown>>) {}

  has(name: string): boolean {
    return this.body[name] !== undefined && this.body[name] !== null;
  }

  string(name: string, rule: StringRule & { required: true }): string;
  string(name: string, rule?: StringRule): string | undefined;
  string(name: string, rule: StringRule = {}): string | undefined {
    const value = this.body[name];
    if (value === undefined || value === null) {
      if (rule.required) throw validation(memberPath(name), 'Member must not be null');
      return undefined;
    }
    if (typeof value !== 'string') throw typeError(name, 'a string', value);
    const shown = rule.secret ? '[redacted]' : value;
    if (rule.min !== undefined && value.length < rule.min) {
      throw validation(
        memberPath(name),
        `Member must have length greater than or equal to ${rule.min}`,
        shown,
      );
    }
    if (rule.max !== undefined && value.length > rule.max) {
      throw validation(memberPath(name), `Member must have length less than or equal to ${rule.max}`, shown);
    }
    if (rule.pattern && !rule.pattern.test(value)) {
      throw validation(
        memberPath(name),
        `Member must satisfy regular expression pattern: ${rule.pattern.source}`,
        shown,
      );
    }
    return value;
  }

  /**
   * `SecretId` (I1): a name, a full ARN or a partial ARN. I4: a value that is not an ARN and
   * not a valid name is a ValidationException on every operation, even a forced delete
   * (which succeeds for a valid name that does not exist).
   */
  secretId(): string {
    const secretId = this.string('SecretId', { required: true, min: 1, max: 2048 });
    if (!secretId.startsWith('arn:') && !SECRET_NAME.test(secretId))
      throw new ServiceError(ServiceErrorType.ValidationException, INVALID_NAME_MESSAGE);
    return secretId;
  }

  boolean(name: string): boolean | undefined {
    const value = this.body[name];
    if (value === undefined || value === null) return undefined;
    if (typeof value !== 'boolean') throw typeError(name, 'a boolean', value);
    return value;
  }

  integer(name: string, range: { readonly min?: number; readonly max?: number } = {}): number | undefined {
    const value = this.body[name];
    if (value === undefined || value === null) return undefined;
    if (typeof value !== 'number' || !Number.isInteger(value)) throw typeError(name, 'an integer', value);
    if (range.min !== undefined && value < range.min) {
      throw validation(
        memberPath(name),
        `Member must have value greater than or equal to ${range.min}`,
        value,
      );
    }
    if (range.max !== undefined && value > range.max) {
      throw validation(memberPath(name), `Member must have value less than or equal to ${range.max}`, value);
    }
    return value;
  }

  stringList(
    name: string,
    rule: { readonly min?: number; readonly max?: number; readonly item?: StringRule } = {},
  ): string[] | undefined {
    const value = this.body[name];
    if (value === undefined || value === null) return undefined;
    if (!Array.isArray(value)) throw typeError(name, 'a list', value);
    if (rule.min !== undefined && value.length < rule.min) {
      throw validation(
        memberPath(name),
        `Member must have length greater than or equal to ${rule.min}`,
        `[${value.length} items]`,
      );
    }
    if (rule.max !== undefined && value.length > rule.max) {
      throw validation(
        memberPath(name),
        `Member must have length less than or equal to ${rule.max}`,
        `[${value.length} items]`,
      );
    }
    return value.map((item, index) =>
      new Input({ [`${name}.${index + 1}`]: item }).string(`${name}.${index + 1}`, {
        ...rule.item,
        required: true,
      }),
    );
  }

  object(name: string): Input | undefined {
    const value = this.body[name];
    if (value === undefined || value === null) return undefined;
    if (typeof value !== 'object' || Array.isArray(value)) throw typeError(name, 'an object', value);
    return new Input(value as Record<string, unknown>);
  }

  objectList(name: string): Input[] | undefined {
    const value = this.body[name];
    if (value === undefined || value === null) return undefined;
    if (!Array.isArray(value)) throw typeError(name, 'a list', value);
    return value.map((item) => {
      if (item === null || typeof item !== 'object' || Array.isArray(item))
        throw typeError(`${name} member`, 'an object', item);
      return new Input(item as Record<string, unknown>);
    });
  }

  /** Tags: up to 50, keys 1-128, values 0-256 (C8). */
  tags(name = 'Tags'): Tag[] | undefined {
    const list = this.objectList(name);
    if (list === undefined) return undefined;
    if (list.length > 50)
      throw validation(
        memberPath(name),
        'Member must have length less than or equal to 50',
        `[${list.length} items]`,
      );
    return list.map((tag) => ({
      Key: tag.string('Key', { required: true, min: 1, max: 128 }),
      Value: tag.string('Value', { max: 256 }) ?? '',
    }));
  }
}
