import { describe, expect, it } from 'vitest';
import { parseJwtSecret } from '../../../functions/jwt/jwt-secret.ts';
import type { Keyring } from '../../../functions/jwt/keyring.ts';
import { rotateKeyring } from '../../../functions/jwt/rotate-keyring.ts';
import { Sensitive } from '../../../shared/sensitive.ts';
import { keyringSecret, type KeyringSeed } from './jwt-fixtures.ts';

const now = new Date('2026-11-23T10:00:00.000Z');
const options = { hmacKeyBytes: 64, rsaModulusBits: 2048 };

async function keyring(seeds: KeyringSeed[]): Promise<Keyring> {
  const secret = parseJwtSecret(
    new Sensitive((await keyringSecret(seeds)).value),
    { versionId: 'v', stage: 'AWSCURRENT' },
    { keyFields: undefined },
  );
  if (secret.format !== 'keyring') throw new Error('fixture is not a keyring');
  return secret.keyring;
}

const statuses = (ring: Keyring) => Object.fromEntries(ring.keys.map((key) => [key.kid, key.status]));

describe('rotateKeyring', () => {
  it('promotes next, demotes current, drops every previous and publishes a new next in the alg of the new current', async () => {
    const ring = await keyring([
      { kid: 'cur', status: 'current', alg: 'HS256' },
      { kid: 'nxt', status: 'next', alg: 'ES256' },
      { kid: 'old1', status: 'previous', alg: 'HS256' },
      { kid: 'old2', status: 'previous', alg: 'HS256' },
    ]);
    const { keyring: rotated, change } = await rotateKeyring({
      keyring: ring,
      emergency: false,
      now,
      avoid: new Set(),
      options,
    });
    const added = change.added[0]!;
    expect(statuses(rotated)).toEqual({ nxt: 'current', cur: 'previous', [added]: 'next' });
    expect(change).toEqual({ added: [added], promoted: 'nxt', demoted: 'cur', dropped: ['old1', 'old2'] });
    const fresh = rotated.keys.find((key) => key.kid === added)!;
    expect(fresh.alg).toBe('ES256');
    expect(fresh.createdAt).toBe(now.toISOString());
    expect(added).toMatch(/^20261123-[A-Za-z0-9_-]{11}$/);
    // Promoted keys keep their material and creation date.
    expect(rotated.keys.find((key) => key.kid === 'nxt')!.material.reveal()).toEqual(
      ring.keys.find((key) => key.kid === 'nxt')!.material.reveal(),
    );
    expect(rotated.keys.find((key) => key.kid === 'nxt')!.createdAt).toBe('2026-01-01T00:00:00.000Z');
  });

  it('on the first rotation of a keyring with only a current key, adds a next and changes nothing else', async () => {
    const ring = await keyring([
      { kid: 'cur', status: 'current', alg: 'EdDSA' },
      { kid: 'old', status: 'previous', alg: 'EdDSA' },
    ]);
    const { keyring: rotated, change } = await rotateKeyring({
      keyring: ring,
      emergency: false,
      now,
      avoid: new Set(),
      options,
    });
    expect(statuses(rotated)).toEqual({ cur: 'current', old: 'previous', [change.added[0]!]: 'next' });
    expect(change.dropped).toEqual([]);
  });

  it('in an emergency drops every old key and makes a fresh current and next in the current alg', async () => {
    const ring = await keyring([
      { kid: 'cur', status: 'current', alg: 'HS512' },
      { kid: 'nxt', status: 'next', alg: 'HS512' },
      { kid: 'old', status: 'previous', alg: 'HS512' },
    ]);
    const { keyring: rotated, change } = await rotateKeyring({
      keyring: ring,
      emergency: true,
      now,
      avoid: new Set(),
      options,
    });
    expect(rotated.keys.map((key) => key.status).sort()).toEqual(['current', 'next']);
    expect(rotated.keys.every((key) => key.alg === 'HS512' && !['cur', 'nxt', 'old'].includes(key.kid))).toBe(
      true,
    );
    expect([...change.dropped].sort()).toEqual(['cur', 'nxt', 'old']);
    expect(new Set(rotated.keys.map((key) => JSON.stringify(key.material.reveal()))).size).toBe(2);
  });

  it('keeps unknown top-level fields', async () => {
    const ring = await keyring([{ kid: 'cur', status: 'current', alg: 'HS256' }]);
    const { keyring: rotated } = await rotateKeyring({
      keyring: ring,
      emergency: true,
      now,
      avoid: new Set(),
      options,
    });
    expect(rotated.extra.reveal()).toEqual({ owner: 'team-auth' });
  });
});
