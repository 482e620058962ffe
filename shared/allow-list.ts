import type { EnvReader } from './config.ts';
import { ErrorCode, RotationError } from './errors.ts';

/**
 * The targets a function was deployed for (replication groups, users, databases), from an
 * environment variable the SAM template and the CDK construct set from the same list as the IAM
 * grant. A secret names its own target, so without this list its author chooses what the
 * function's role changes (a confused deputy): the function checks the list before any API call.
 *
 * - unset: the mode that needs the list refuses to run (ERR_CONFIG_INVALID naming the variable).
 *   A hardened function does not fall back to "whatever IAM allows" by accident.
 * - `*`: any target; the operator says so knowingly and IAM is then the only limit.
 * - empty: none (SAM and CDK set it so when no target was named, with no IAM grant either).
 * - ids or ARNs, comma-separated: exactly those. A `*` inside an entry matches any run of
 *   characters, as in an IAM resource ARN (`arn:aws:rds:…:db:prod-*`), where the kind allows it.
 */
export interface AllowList {
  readonly variable: string;
  /** `*`: any target. */
  readonly any: boolean;
  /** The allowed targets as `toKey` made them. */
  readonly keys: readonly string[];
}

/**
 * Read `name`; undefined when unset. `toKey` turns an entry (id or ARN) into the key compared
 * with a secret's target, or undefined when the entry is not one (reported by variable name).
 */
export function readAllowList(
  reader: EnvReader,
  name: string,
  toKey: (entry: string) => string | undefined,
  expected: string,
): AllowList | undefined {
  if (!reader.isSet(name)) return undefined;
  const entries = reader.list(name, []);
  if (entries.includes('*')) {
    if (entries.length > 1) reader.problem(`${name} must be either * alone or a list of ${expected}`);
    return Object.freeze({ variable: name, any: true, keys: [] });
  }
  const keys: string[] = [];
  for (const entry of entries) {
    const key = toKey(entry);
    if (key === undefined) {
      reader.problem(`${name} must be a comma-separated list of ${expected}, or *`);
      break;
    }
    keys.push(key);
  }
  return Object.freeze({ variable: name, any: false, keys: Object.freeze(keys) });
}

export interface AllowedTarget {
  /** What is being checked, for the message: e.g. `replication group`, `RDS instance`. */
  readonly what: string;
  /** The key to look up (as `toKey` makes keys). */
  readonly key: string;
  /** How the message and details name the target (an id, never a secret value). */
  readonly name: string;
  readonly secretArn?: string;
  /** The secret field the target came from, when it came from one. */
  readonly field?: string;
}

/** Whether `list` (set) allows `key`: `*`, an equal key, or a key pattern with `*` matching it. */
export function allows(list: AllowList | undefined, key: string): boolean {
  if (list === undefined) return false;
  return list.any || list.keys.some((pattern) => pattern === key || matchesPattern(pattern, key));
}

function matchesPattern(pattern: string, key: string): boolean {
  if (!pattern.includes('*')) return false;
  const source = pattern
    .split('*')
    .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
    .join('.*');
  return new RegExp(`^${source}$`).test(key);
}

/**
 * Nothing when `list` allows `target`; else ERR_TARGET_NOT_ALLOWED (a target it was not deployed
 * for) or ERR_CONFIG_INVALID (`list` unset; `variable` names it). Call before any API call.
 */
export function requireAllowed(list: AllowList | undefined, variable: string, target: AllowedTarget): void {
  const details = {
    variable,
    ...(target.secretArn !== undefined ? { secretArn: target.secretArn } : {}),
    ...(target.field !== undefined ? { field: target.field } : {}),
  };
  if (list === undefined)
    throw new RotationError(
      ErrorCode.ERR_CONFIG_INVALID,
      `${variable} is unset: this function acts only on the targets it was deployed for. Set ` +
        `it to the ${target.what} ids (or ARNs) it may use, or * to allow any (IAM is then the ` +
        `only limit); nothing was changed`,
      { details },
    );
  if (allows(list, target.key)) return;
  throw new RotationError(
    ErrorCode.ERR_TARGET_NOT_ALLOWED,
    `${target.secretArn !== undefined ? `Secret ${target.secretArn}: ` : ''}${target.what} ` +
      `${target.name} is not one this function was deployed for (${variable}); nothing was changed`,
    { details: { ...details, target: target.name } },
  );
}
