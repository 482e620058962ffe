import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { jwtFunction } from '../../../functions/jwt/definition.ts';
import { detectKeyEncoding, KeyEncoding } from '../../../functions/jwt/key-encoding.ts';
import { STEPS } from '../../../shared/constants.ts';
import type { RotationError } from '../../../shared/errors.ts';
import { ErrorCode } from '../../../shared/errors.ts';
import { buildRotationFunction } from '../../../shared/rotation-function.ts';
import { createMemoryLog, createMemoryMetrics } from '../../../scripts/testbed/memory-observability.ts';
import { MemorySecretsPort } from '../../shared/memory-secrets-port.ts';
import { ALGS, keyringSecret, namedSecret, plainBase64Key, secretFragments } from './jwt-fixtures.ts';
import {
  signWithKeyString,
  signWithKeyring,
  verifiesWithAnyKeyString,
  verifiesWithJwks,
  verifiesWithKeyring,
} from './jwt-verifiers.ts';
import { codeOfAsync } from '../../support/error-code.ts';

const CURRENT_ID = 'c0000000-0000-4000-8000-000000000000';

function setup(value: string, env: Record<string, string> = {}) {
  const port = new MemorySecretsPort().addVersion(CURRENT_ID, value, ['AWSCURRENT']);
  const logger = createMemoryLog();
  const fn = buildRotationFunction(jwtFunction, {
    env,
    secrets: port,
    logger,
    metrics: createMemoryMetrics(),
  });
  let counter = 0;
  const valueOf = (stage: string): string | undefined =>
    [...port.versions.values()].find((v) => v.stages.has(stage))?.value;
  const rotate = async (options: { twice?: boolean } = {}): Promise<string> => {
    counter += 1;
    const token = `t${counter}`.padEnd(32, '0');
    port.addVersion(token, undefined, ['AWSPENDING']);
    for (const step of STEPS) {
      await fn.invoke({ Step: step, SecretId: port.arn, ClientRequestToken: token });
      if (options.twice) await fn.invoke({ Step: step, SecretId: port.arn, ClientRequestToken: token });
    }
    return token;
  };
  return { port, logger, fn, rotate, valueOf };
}

function expectNoLeak(lines: readonly string[], values: readonly (string | undefined)[]): void {
  const fragments = values.flatMap((value) => (value === undefined ? [] : secretFragments(value)));
  expect(fragments.length).toBeGreaterThan(0);
  for (const line of lines)
    for (const fragment of fragments)
      expect(line.includes(fragment), `log line leaks key material: ${line.slice(0, 80)}`).toBe(false);
}

describe('plain JWT keys', () => {
  it('rotates to a fresh key of the same encoding while tokens signed before still verify with AWSCURRENT + AWSPREVIOUS', async () => {
    const oldKey = plainBase64Key();
    const { rotate, valueOf, logger } = setup(oldKey);
    const token = await signWithKeyString(oldKey);
    await rotate();
    const newKey = valueOf('AWSCURRENT')!;
    expect(newKey).not.toBe(oldKey);
    expect(detectKeyEncoding(newKey)).toBe(KeyEncoding.base64);
    expect(Buffer.from(newKey, 'base64').length).toBeGreaterThanOrEqual(64);
    expect(valueOf('AWSPREVIOUS')).toBe(oldKey);
    expect(await verifiesWithAnyKeyString(token, [valueOf('AWSCURRENT'), valueOf('AWSPREVIOUS')])).toBe(true);
    expect(await verifiesWithAnyKeyString(token, [newKey])).toBe(false);
    expectNoLeak(logger.lines, [oldKey, newKey]);
  });

  it('keeps hex keys hex and never shrinks a key that is longer than the policy', async () => {
    const oldKey = randomBytes(128).toString('hex');
    const { rotate, valueOf } = setup(oldKey);
    await rotate();
    expect(detectKeyEncoding(valueOf('AWSCURRENT')!)).toBe(KeyEncoding.hex);
    expect(valueOf('AWSCURRENT')!.length).toBeGreaterThanOrEqual(oldKey.length);
  });

  it('keeps the two-line shape of a key stored straight from openssl rand -base64 64', async () => {
    const raw = randomBytes(64).toString('base64');
    const { rotate, valueOf } = setup(`${raw.slice(0, 64)}\n${raw.slice(64)}\n`);
    await rotate();
    const next = valueOf('AWSCURRENT')!;
    expect(next.split('\n').map((line) => line.length)).toEqual([64, 24]);
    expect(Buffer.from(next, 'base64')).toHaveLength(64);
  });

  it('replaces a key weaker than the policy, with a warning that names the problem and not the key', async () => {
    const weak = 'my jwt secret!';
    const { rotate, valueOf, logger } = setup(weak);
    await rotate();
    const warnings = logger.lines.filter((line) => line.includes('below the key-strength policy'));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/"requiredBytes":64/);
    expect(valueOf('AWSCURRENT')).not.toBe(weak);
    expect(detectKeyEncoding(valueOf('AWSCURRENT')!)).toBe(KeyEncoding.printable);
    expectNoLeak(logger.lines, [weak, valueOf('AWSCURRENT')]);
  });

  it('honours JWT_HMAC_KEY_BYTES for the new key', async () => {
    const { rotate, valueOf } = setup(plainBase64Key(), { JWT_HMAC_KEY_BYTES: '96' });
    await rotate();
    expect(Buffer.from(valueOf('AWSCURRENT')!, 'base64').length).toBeGreaterThanOrEqual(96);
  });
});

describe('re-run steps', () => {
  it.each([
    ['plain', async () => plainBase64Key()],
    ['named', async () => namedSecret().value],
    [
      'keyring',
      async () =>
        (
          await keyringSecret([
            { kid: 'k1', status: 'current', alg: 'HS256' },
            { kid: 'k2', status: 'next', alg: 'HS256' },
          ])
        ).value,
    ],
  ])('a %s secret ends the same when every step runs twice, with one stored value', async (_format, make) => {
    const initial = await make();
    const once = setup(initial);
    const twice = setup(initial);
    // createSecret puts first: a re-run may call PutSecretValue again, which the store must refuse.
    const stored: string[] = [];
    const put = twice.port.putSecretValue.bind(twice.port);
    twice.port.putSecretValue = async (input) => {
      await put(input);
      stored.push(input.ClientRequestToken);
    };
    await once.rotate();
    const token = await twice.rotate({ twice: true });
    expect(twice.port.labels()).toEqual(once.port.labels());
    expect(twice.port.labels()[token]).toContain('AWSCURRENT');
    expect(stored).toEqual([token]);
    const shape = (value: string) =>
      value.startsWith('{') ? Object.keys(JSON.parse(value)).sort() : value.length;
    expect(shape(twice.valueOf('AWSCURRENT')!)).toEqual(shape(once.valueOf('AWSCURRENT')!));
  });
});

describe('named JWT keys', () => {
  it('gives every key field a fresh distinct value in its own encoding and keeps the other fields', async () => {
    const { value, access, refresh } = namedSecret();
    const { rotate, valueOf, logger } = setup(value);
    const token = await signWithKeyString(access);
    await rotate();
    const next = JSON.parse(valueOf('AWSCURRENT')!);
    expect(next.issuer).toBe('https://issuer.example');
    expect(next.ttl).toBe(900);
    expect(next.JWT_SECRET).not.toBe(access);
    expect(next.JWT_REFRESH_SECRET).not.toBe(refresh);
    expect(next.JWT_SECRET).not.toBe(next.JWT_REFRESH_SECRET);
    expect(detectKeyEncoding(next.JWT_SECRET)).toBe(KeyEncoding.base64url);
    expect(detectKeyEncoding(next.JWT_REFRESH_SECRET)).toBe(KeyEncoding.hex);
    const previous = JSON.parse(valueOf('AWSPREVIOUS')!);
    expect(await verifiesWithAnyKeyString(token, [next.JWT_SECRET, previous.JWT_SECRET])).toBe(true);
    expectNoLeak(logger.lines, [value, valueOf('AWSCURRENT')]);
  });

  it('rotates only the fields JWT_KEY_FIELDS lists', async () => {
    const { rotate, valueOf } = setup(
      JSON.stringify({ access: plainBase64Key(), JWT_SECRET: 'kept-as-is' }),
      { JWT_KEY_FIELDS: 'access' },
    );
    await rotate();
    expect(JSON.parse(valueOf('AWSCURRENT')!).JWT_SECRET).toBe('kept-as-is');
  });
});

describe('keyrings', () => {
  it.each(ALGS)(
    'publishes a next key first, then promotes it, and a %s token signed before each rotation verifies after it',
    async (alg) => {
      const { value } = await keyringSecret([{ kid: 'k1', status: 'current', alg }]);
      const { rotate, valueOf, logger } = setup(value);
      const before = await signWithKeyring(value);

      await rotate();
      const first = valueOf('AWSCURRENT')!;
      const firstDoc = JSON.parse(first);
      expect(firstDoc.owner).toBe('team-auth');
      expect(firstDoc.keys.map((key: { status: string }) => key.status).sort()).toEqual(['current', 'next']);
      expect(firstDoc.keys.find((key: { status: string }) => key.status === 'current').kid).toBe('k1');
      expect(await verifiesWithKeyring(before, first)).toBe(true);

      const middle = await signWithKeyring(first);
      await rotate();
      const second = valueOf('AWSCURRENT')!;
      const secondDoc = JSON.parse(second);
      const nextKid = firstDoc.keys.find((key: { status: string }) => key.status === 'next').kid;
      expect(secondDoc.keys.find((key: { status: string }) => key.status === 'current').kid).toBe(nextKid);
      expect(secondDoc.keys.find((key: { status: string }) => key.status === 'previous').kid).toBe('k1');
      expect(await verifiesWithKeyring(middle, second)).toBe(true);
      expect(await verifiesWithKeyring(await signWithKeyring(second), first)).toBe(true); // published before use
      if (alg.startsWith('HS')) expect(secondDoc.jwks.keys).toEqual([]);
      else expect(await verifiesWithJwks(middle, second)).toBe(true);

      await rotate();
      const third = valueOf('AWSCURRENT')!;
      expect(JSON.parse(third).keys).toHaveLength(3);
      expect(JSON.parse(third).keys.some((key: { kid: string }) => key.kid === 'k1')).toBe(false);
      expect(await verifiesWithKeyring(before, third)).toBe(false);
      expectNoLeak(logger.lines, [value, first, second, third]);
    },
  );

  it('makes new RS256 keys with the modulus JWT_RSA_MODULUS_BITS asks for', async () => {
    const { value } = await keyringSecret([{ kid: 'k1', status: 'current', alg: 'RS256' }]);
    const { rotate, valueOf } = setup(value, { JWT_RSA_MODULUS_BITS: '3072' });
    await rotate();
    const next = JSON.parse(valueOf('AWSCURRENT')!).keys.find(
      (key: { status: string }) => key.status === 'next',
    );
    expect(Buffer.from(next.publicJwk.n, 'base64url').length * 8).toBe(3072);
  });
});

describe('emergency rotation', () => {
  it('removes AWSPREVIOUS from the old plain key and the tag, so the old token stops verifying', async () => {
    const oldKey = plainBase64Key();
    const { rotate, valueOf, port, logger } = setup(oldKey);
    await rotate();
    const leaked = valueOf('AWSCURRENT')!;
    const token = await signWithKeyString(leaked);
    port.tags.RotationMode = 'emergency';
    await rotate({ twice: true });
    expect(port.tags.RotationMode).toBeUndefined();
    expect(valueOf('AWSPREVIOUS')).toBeUndefined();
    expect(await verifiesWithAnyKeyString(token, [valueOf('AWSCURRENT'), valueOf('AWSPREVIOUS')])).toBe(
      false,
    );
    const warning = logger.lines.find(
      (line) => line.includes('"level":"WARN"') && line.includes('revoked the old credential'),
    );
    expect(JSON.parse(warning!).revoked).toEqual([expect.stringMatching(/^AWSPREVIOUS label of version /)]);
    expectNoLeak(logger.lines, [oldKey, leaked, valueOf('AWSCURRENT')]);
  });

  it('drops every old keyring key and makes a fresh current and next', async () => {
    const { value } = await keyringSecret([
      { kid: 'k1', status: 'current', alg: 'ES256' },
      { kid: 'k2', status: 'next', alg: 'ES256' },
      { kid: 'k0', status: 'previous', alg: 'ES256' },
    ]);
    const { rotate, valueOf, port, logger } = setup(value);
    const token = await signWithKeyring(value);
    port.tags.RotationMode = 'emergency';
    await rotate();
    const doc = JSON.parse(valueOf('AWSCURRENT')!);
    expect(doc.keys.map((key: { status: string }) => key.status).sort()).toEqual(['current', 'next']);
    expect(doc.keys.some((key: { kid: string }) => ['k0', 'k1', 'k2'].includes(key.kid))).toBe(false);
    expect(doc.jwks.keys).toHaveLength(2);
    expect(await verifiesWithKeyring(token, valueOf('AWSCURRENT')!)).toBe(false);
    expect(port.tags.RotationMode).toBeUndefined();
    const warning = JSON.parse(logger.lines.find((line) => line.includes('revoked the old credential'))!);
    const keys = (warning.revoked as string[]).find((entry) => entry.startsWith('signing keys '));
    expect(keys?.match(/k\d/g)?.sort()).toEqual(['k0', 'k1', 'k2']);
  });
});

describe('testSecret refuses a pending value that breaks the policy', () => {
  async function withPending(
    current: string,
    pending: string,
    env: Record<string, string> = {},
  ): Promise<{ code: string | undefined; port: MemorySecretsPort; lines: string[] }> {
    const { fn, port, logger } = setup(current, env);
    const token = 'p'.repeat(32);
    port.addVersion(token, pending, ['AWSPENDING']);
    const code = await codeOfAsync(
      fn.invoke({ Step: 'testSecret', SecretId: port.arn, ClientRequestToken: token }),
    );
    return { code, port, lines: logger.lines };
  }

  it('when it repeats the current key', async () => {
    const key = plainBase64Key();
    expect((await withPending(key, key)).code).toBe(ErrorCode.ERR_POLICY_VIOLATION);
  });

  it('when a key is too short', async () => {
    const { code, lines } = await withPending(plainBase64Key(), plainBase64Key(32));
    expect(code).toBe(ErrorCode.ERR_POLICY_VIOLATION);
    expect(lines.join('\n')).toMatch(/policy requires 64/);
  });

  it('when the access and refresh keys are equal', async () => {
    const shared = plainBase64Key();
    const { code, lines } = await withPending(
      namedSecret().value,
      JSON.stringify({
        JWT_SECRET: shared,
        JWT_REFRESH_SECRET: shared,
        issuer: 'https://issuer.example',
        ttl: 900,
      }),
    );
    expect(code).toBe(ErrorCode.ERR_POLICY_VIOLATION);
    expect(lines.join('\n')).not.toContain(shared);
  });

  it('when the named secret lost a non-key field', async () => {
    const { code } = await withPending(
      namedSecret().value,
      JSON.stringify({ JWT_SECRET: plainBase64Key(), JWT_REFRESH_SECRET: plainBase64Key() }),
    );
    expect(code).toBe(ErrorCode.ERR_TEST_FAILED);
  });

  it('when a keyring signs with a key that was never published', async () => {
    const current = await keyringSecret([{ kid: 'k1', status: 'current', alg: 'HS256' }]);
    const unpublished = await keyringSecret([
      { kid: 'k9', status: 'current', alg: 'HS256' },
      { kid: 'k8', status: 'next', alg: 'HS256' },
    ]);
    expect((await withPending(current.value, unpublished.value)).code).toBe(ErrorCode.ERR_POLICY_VIOLATION);
  });

  it('when a scheduled keyring rotation would stop verifying tokens in flight', async () => {
    const current = await keyringSecret([
      { kid: 'k1', status: 'current', alg: 'HS256' },
      { kid: 'k2', status: 'next', alg: 'HS256' },
    ]);
    const doc = JSON.parse(current.value);
    doc.keys = doc.keys
      .filter((key: { kid: string }) => key.kid !== 'k1')
      .map((key: { status: string }) => ({ ...key, status: 'current' }));
    const fresh = await keyringSecret([{ kid: 'k3', status: 'next', alg: 'HS256' }]);
    doc.keys.push(JSON.parse(fresh.value).keys[0]);
    expect((await withPending(current.value, JSON.stringify(doc))).code).toBe(ErrorCode.ERR_TEST_FAILED);
  });
});

describe('bad current values change nothing', () => {
  it.each([
    ['an empty secret', ''],
    ['a value that looks like JSON', '{"JWT_SECRET": "abc'],
    ['a key field that is not a string', '{"JWT_SECRET": 42}'],
  ])('fails createSecret on %s with ERR_SECRET_MALFORMED and stores nothing', async (_name, value) => {
    const { fn, port } = setup(value);
    port.addVersion('n'.repeat(32), undefined, ['AWSPENDING']);
    const before = port.labels();
    expect(
      await codeOfAsync(
        fn.invoke({ Step: 'createSecret', SecretId: port.arn, ClientRequestToken: 'n'.repeat(32) }),
      ),
    ).toBe(ErrorCode.ERR_SECRET_MALFORMED);
    expect(port.labels()).toEqual(before);
    expect(port.calls).not.toContain('PutSecretValue');
  });

  it('refuses a bad JWT_HMAC_KEY_BYTES by name', async () => {
    const { fn, port } = setup(plainBase64Key(), { JWT_HMAC_KEY_BYTES: '32', JWT_RSA_MODULUS_BITS: '1024' });
    try {
      await fn.invoke({ Step: 'createSecret', SecretId: port.arn, ClientRequestToken: 'n'.repeat(32) });
      expect.unreachable();
    } catch (error) {
      expect((error as RotationError).code).toBe(ErrorCode.ERR_CONFIG_INVALID);
      expect((error as Error).message).toMatch(/JWT_HMAC_KEY_BYTES.*JWT_RSA_MODULUS_BITS/);
    }
  });
});
