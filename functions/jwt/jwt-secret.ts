import { duplicateKeyProblem, findDuplicateKey, nameableKey } from '../../shared/duplicate-keys.ts';
import { ErrorCode, RotationError } from '../../shared/errors.ts';
import { Sensitive } from '../../shared/sensitive.ts';
import type { VersionRef } from '../../shared/strategy.ts';
import { isDefaultKeyField } from './jwt-config.ts';
import { detectKeyEncoding, type KeyEncoding } from './key-encoding.ts';
import {
  isKeyringDocument,
  keyringDocument,
  keyringMaterials,
  parseKeyring,
  type Keyring,
} from './keyring.ts';

/** The three shapes a JWT signing secret can take; rotation keeps the shape. */
export const JwtSecretFormat = { plain: 'plain', named: 'named', keyring: 'keyring' } as const;
export type JwtSecretFormat = (typeof JwtSecretFormat)[keyof typeof JwtSecretFormat];

/** The whole SecretString is the key, e.g. `openssl rand -base64 64`. */
export interface PlainJwtSecret {
  readonly format: 'plain';
  readonly key: Sensitive<string>;
  readonly encoding: KeyEncoding;
}

/** A JSON object; `keyFields` name the fields holding keys, every other field is kept. */
export interface NamedJwtSecret {
  readonly format: 'named';
  readonly document: Sensitive<Readonly<Record<string, unknown>>>;
  readonly keyFields: readonly string[];
  readonly encodings: Readonly<Record<string, KeyEncoding>>;
}

export interface KeyringJwtSecret {
  readonly format: 'keyring';
  readonly keyring: Keyring;
}

export type JwtSecret = PlainJwtSecret | NamedJwtSecret | KeyringJwtSecret;

export interface ParseOptions {
  /** JWT_KEY_FIELDS; undefined means the default rule (name ends in SECRET or _KEY). */
  readonly keyFields: readonly string[] | undefined;
}

/**
 * Detect the format and validate. A value that starts with `{` must be a JSON object
 * (a keyring when its `format` says so, named keys otherwise); a value starting with `[`
 * is refused; anything else is a plain key. Errors name the version and field only.
 */
export function parseJwtSecret(
  secretString: Sensitive<string>,
  where: VersionRef,
  options: ParseOptions,
): JwtSecret {
  const fail = (problem: string, field?: string): never => {
    throw new RotationError(
      ErrorCode.ERR_SECRET_MALFORMED,
      `JWT secret version ${where.versionId} (${where.stage}): ${problem}`,
      {
        details: {
          versionId: where.versionId,
          stage: where.stage,
          ...(field !== undefined ? { field } : {}),
        },
      },
    );
  };
  const text = secretString.reveal().trim();
  if (text === '') return fail('the value is empty');
  if (text.startsWith('['))
    return fail(
      'a JSON array is not a supported shape; use a plain key, a JSON object of named keys, or a keyring',
    );
  if (!text.startsWith('{'))
    return { format: JwtSecretFormat.plain, key: new Sensitive(text), encoding: detectKeyEncoding(text) };

  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch {
    // The parser's message can quote the input: do not keep it.
    return fail('the value starts with "{" but is not valid JSON');
  }
  if (typeof document !== 'object' || document === null || Array.isArray(document))
    return fail('the value must be a JSON object');
  const duplicate = findDuplicateKey(text);
  if (duplicate !== undefined) return fail(duplicateKeyProblem(duplicate), nameableKey(duplicate));
  const record = document as Record<string, unknown>;
  if (isKeyringDocument(record))
    return { format: JwtSecretFormat.keyring, keyring: parseKeyring(record, where) };

  const keyFields =
    options.keyFields === undefined
      ? Object.keys(record).filter(isDefaultKeyField)
      : options.keyFields.filter((name) => Object.hasOwn(record, name));
  if (keyFields.length === 0) {
    return fail(
      options.keyFields === undefined
        ? 'no key field found: no field name ends in SECRET or _KEY; set JWT_KEY_FIELDS'
        : `none of the JWT_KEY_FIELDS fields (${options.keyFields.join(', ')}) is present`,
    );
  }
  const encodings: Record<string, KeyEncoding> = {};
  for (const field of keyFields) {
    const value = record[field];
    if (typeof value !== 'string')
      return fail(
        `key field "${field}" must be a string (found ` +
          `${value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value}); ` +
          `JWT_KEY_FIELDS chooses the key fields`,
        field,
      );
    if (value.trim() === '') return fail(`key field "${field}" is empty`, field);
    encodings[field] = detectKeyEncoding(value.trim());
  }
  return {
    format: JwtSecretFormat.named,
    document: new Sensitive(record),
    keyFields: Object.freeze([...keyFields]),
    encodings,
  };
}

export function serializeJwtSecret(secret: JwtSecret): Sensitive<string> {
  switch (secret.format) {
    case JwtSecretFormat.plain:
      return new Sensitive(secret.key.reveal());
    case JwtSecretFormat.named:
      return new Sensitive(JSON.stringify(secret.document.reveal()));
    case JwtSecretFormat.keyring:
      return new Sensitive(JSON.stringify(keyringDocument(secret.keyring)));
  }
}

/** The key strings a secret holds, by name (`key` for plain, field names, kids). Never log the values. */
export function namedKeys(secret: JwtSecret): ReadonlyMap<string, string> {
  switch (secret.format) {
    case JwtSecretFormat.plain:
      return new Map([['key', secret.key.reveal()]]);
    case JwtSecretFormat.named: {
      const document = secret.document.reveal();
      return new Map(secret.keyFields.map((field) => [field, String(document[field]).trim()]));
    }
    case JwtSecretFormat.keyring: {
      const materials = keyringMaterials(secret.keyring);
      return new Map(secret.keyring.keys.map((key, index) => [key.kid, materials[index] ?? '']));
    }
  }
}

/** Every key string in a secret (undefined-safe), for "never reuse" checks. */
export function allKeyMaterial(secret: JwtSecret | undefined): Set<string> {
  return secret === undefined ? new Set() : new Set(namedKeys(secret).values());
}
