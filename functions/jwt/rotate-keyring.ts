import { Sensitive } from '../../shared/sensitive.ts';
import { generateKeyMaterial, newKid, type KeyMaterialOptions } from './generate-key-material.ts';
import {
  KeyStatus,
  keyWithStatus,
  materialText,
  type JwtAlg,
  type Keyring,
  type KeyringKey,
} from './keyring.ts';

export interface RotateKeyringInput {
  readonly keyring: Keyring;
  /** Revoking rotation: drop every old key, make a fresh current and next. */
  readonly emergency: boolean;
  readonly now: Date;
  /** Material new keys must not equal (every key of the current and previous versions). */
  readonly avoid: ReadonlySet<string>;
  readonly options: KeyMaterialOptions;
}

/** What a rotation did, by kid: safe to log. */
export interface KeyringChange {
  readonly added: readonly string[];
  readonly promoted?: string;
  readonly demoted?: string;
  readonly dropped: readonly string[];
}

/**
 * Build the pending keyring.
 * - Scheduled, with a `next`: next becomes current, current becomes previous, every old
 *   previous is dropped, and a new next (same alg as the new current) is published.
 * - Scheduled, first rotation (only a `current`): a new `next` is added and nothing else
 *   changes, so verifiers learn the key a full rotation before anyone signs with it
 *   (publish-before-use); the following rotation promotes it.
 * - Emergency: every old key is dropped; a fresh current and next (alg of the old current).
 */
export async function rotateKeyring(
  input: RotateKeyringInput,
): Promise<{ keyring: Keyring; change: KeyringChange }> {
  const { keyring, emergency, now } = input;
  const current = keyWithStatus(keyring, KeyStatus.current);
  const next = keyWithStatus(keyring, KeyStatus.next);
  if (current === undefined) throw new Error('parseKeyring guarantees a current key');
  const taken = new Set(keyring.keys.map((key) => key.kid));
  const avoid = new Set([...input.avoid]);
  const make = async (alg: JwtAlg, status: KeyStatus): Promise<KeyringKey> => {
    const key = await newKey(alg, status, now, taken, avoid, input.options);
    taken.add(key.kid);
    avoid.add(materialText(key.material.reveal()));
    return key;
  };

  if (emergency) {
    const fresh = await make(current.alg, KeyStatus.current);
    const upcoming = await make(current.alg, KeyStatus.next);
    return {
      keyring: { keys: [upcoming, fresh], extra: keyring.extra },
      change: { added: [fresh.kid, upcoming.kid], dropped: keyring.keys.map((key) => key.kid) },
    };
  }
  if (next === undefined) {
    const upcoming = await make(current.alg, KeyStatus.next);
    return {
      keyring: { keys: [upcoming, ...keyring.keys], extra: keyring.extra },
      change: { added: [upcoming.kid], dropped: [] },
    };
  }
  const upcoming = await make(next.alg, KeyStatus.next);
  const dropped = keyring.keys.filter((key) => key.status === KeyStatus.previous).map((key) => key.kid);
  return {
    keyring: {
      keys: [upcoming, { ...next, status: KeyStatus.current }, { ...current, status: KeyStatus.previous }],
      extra: keyring.extra,
    },
    change: { added: [upcoming.kid], promoted: next.kid, demoted: current.kid, dropped },
  };
}

async function newKey(
  alg: JwtAlg,
  status: KeyStatus,
  now: Date,
  taken: ReadonlySet<string>,
  avoid: ReadonlySet<string>,
  options: KeyMaterialOptions,
): Promise<KeyringKey> {
  for (;;) {
    const material = await generateKeyMaterial(alg, options);
    if (avoid.has(materialText(material))) continue;
    return {
      kid: newKid(now, taken),
      alg,
      createdAt: now.toISOString(),
      status,
      material: new Sensitive(material),
      extra: new Sensitive({}),
    };
  }
}
