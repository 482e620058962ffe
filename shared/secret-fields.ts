import { duplicateKeyProblem, findDuplicateKey, nameableKey } from './duplicate-keys.ts';
import { ErrorCode, RotationError } from './errors.ts';
import { hasControlCharacter } from './printable.ts';
import type { VersionRef } from './strategy.ts';

/**
 * Reading the fields of a secret value, shared by every kind that parses one. Each error names
 * the secret kind, version and stage and the field, never the value (JSON.parse's own message
 * quotes the input, so it is never attached).
 */
export interface SecretFieldParsers {
  /** ERR_SECRET_MALFORMED for this kind's secret, naming the version, stage and field. */
  malformed(where: VersionRef, problem: string, field?: string): RotationError;
  /** ERR_SECRET_CONFLICT: fields (comma-separated names) that disagree. */
  conflict(where: VersionRef, problem: string, fields: string): RotationError;
  /** The JSON object a value holds, or ERR_SECRET_MALFORMED (also for a key given twice, named). */
  parseJsonObject(text: string, where: VersionRef): Record<string, unknown>;
  /** A string field; absent, null and empty read as undefined. */
  optionalString(fields: Record<string, unknown>, name: string, where: VersionRef): string | undefined;
  requiredString(fields: Record<string, unknown>, name: string, where: VersionRef): string;
  /** An integer field (a number or a string of digits) in [min, max]; absent, null and empty give `fallback`. */
  integerField(
    fields: Record<string, unknown>,
    name: string,
    fallback: number,
    min: number,
    max: number,
    where: VersionRef,
  ): number;
  /** true/false, as JSON booleans or strings; absent and null give undefined. */
  booleanField(fields: Record<string, unknown>, name: string, where: VersionRef): boolean | undefined;
  /**
   * A URL query parameter read once. Readers disagree on repeated parameters (libpq takes the
   * last, most others the first), so one given twice with different values is refused with
   * ERR_SECRET_CONFLICT; the same value twice is accepted. Empty reads as undefined.
   */
  singleParam(params: URLSearchParams, name: string, where: VersionRef): string | undefined;
  /**
   * `value`, unless it holds a control character (escape code, newline, bidi override):
   * identifiers reach logs and terminals. ERR_SECRET_MALFORMED names the field, never the value.
   * optionalString, requiredString (but for `password`) and singleParam apply it themselves.
   */
  printable(value: string, where: VersionRef, field: string): string;
}

/** The field parsers for one kind's secrets; `label` starts every message, e.g. `Redis secret`. */
export function secretFieldParsers(label: string): SecretFieldParsers {
  const prefix = (where: VersionRef): string => `${label} version ${where.versionId} (${where.stage})`;
  const parsers: SecretFieldParsers = {
    malformed: (where, problem, field) =>
      new RotationError(ErrorCode.ERR_SECRET_MALFORMED, `${prefix(where)}: ${problem}`, {
        details: { versionId: where.versionId, stage: where.stage, ...(field ? { field } : {}) },
      }),
    conflict: (where, problem, fields) =>
      new RotationError(ErrorCode.ERR_SECRET_CONFLICT, `${prefix(where)}: ${problem}`, {
        details: { versionId: where.versionId, stage: where.stage, fields },
      }),
    parseJsonObject(text, where) {
      let parsed: unknown;
      try {
        parsed = JSON.parse(text);
      } catch {
        throw parsers.malformed(where, 'the value is not valid JSON');
      }
      if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed))
        throw parsers.malformed(where, 'the value must be a JSON object');
      const duplicate = findDuplicateKey(text);
      if (duplicate !== undefined)
        throw parsers.malformed(where, duplicateKeyProblem(duplicate), nameableKey(duplicate));
      return parsed as Record<string, unknown>;
    },
    optionalString(fields, name, where) {
      const value = fields[name];
      if (value === undefined || value === null) return undefined;
      if (typeof value !== 'string') throw parsers.malformed(where, `field "${name}" must be a string`, name);
      return value === '' ? undefined : parsers.printable(value, where, name);
    },
    requiredString(fields, name, where) {
      const value = fields[name];
      if (typeof value !== 'string' || value === '')
        throw parsers.malformed(where, `field "${name}" must be a non-empty string`, name);
      return name === 'password' ? value : parsers.printable(value, where, name);
    },
    integerField(fields, name, fallback, min, max, where) {
      const value = fields[name];
      if (value === undefined || value === null || value === '') return fallback;
      const number = typeof value === 'string' && /^\d+$/.test(value.trim()) ? Number(value.trim()) : value;
      if (typeof number !== 'number' || !Number.isInteger(number) || number < min || number > max)
        throw parsers.malformed(where, `field "${name}" must be an integer between ${min} and ${max}`, name);
      return number;
    },
    booleanField(fields, name, where) {
      const value = fields[name];
      if (value === undefined || value === null) return undefined;
      if (typeof value === 'boolean') return value;
      if (value === 'true' || value === 'false') return value === 'true';
      throw parsers.malformed(where, `field "${name}" must be true or false`, name);
    },
    singleParam(params, name, where) {
      const values = [...new Set(params.getAll(name))];
      if (values.length > 1)
        throw parsers.conflict(
          where,
          `the URL gives parameter "${name}" ${values.length} different values; give it once`,
          name,
        );
      const value = values[0];
      return value === undefined || value === '' ? undefined : parsers.printable(value, where, name);
    },
    printable(value, where, field) {
      if (hasControlCharacter(value))
        throw parsers.malformed(
          where,
          `${field} holds a control character (escape code, newline, bidi override)`,
          field,
        );
      return value;
    },
  };
  return parsers;
}
