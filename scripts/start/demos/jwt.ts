import { randomBytes } from 'node:crypto';
import { SignJWT, jwtVerify } from 'jose';
import type { Check, Demo } from '../demo.ts';

/**
 * JWT signing secrets: the check is what an application sees. A token signed before the
 * rotation, and one signed with the new AWSCURRENT key, are verified the way a service
 * would verify them. Keys are read from the secret and never printed.
 */

const encoder = new TextEncoder();

async function sign(key: Uint8Array, kid?: string): Promise<string> {
  return new SignJWT({ sub: 'npm-start-demo' })
    .setProtectedHeader({ alg: 'HS256', ...(kid ? { kid } : {}) })
    .setIssuedAt()
    .setExpirationTime('10m')
    .sign(key);
}

async function verifies(token: string, keys: readonly Uint8Array[]): Promise<boolean> {
  for (const key of keys) {
    try {
      await jwtVerify(token, key);
      return true;
    } catch {
      // next key
    }
  }
  return false;
}

let plainOldToken = '';
let namedOldToken = '';
let keyringOldToken = '';

const plain: Demo = {
  title: 'JWT, plain key',
  kind: 'jwt',
  secretName: 'demo/jwt/plain',
  async setup() {
    const key = randomBytes(64).toString('base64');
    plainOldToken = await sign(encoder.encode(key));
    return key;
  },
  async verify(_stack, { current, previous }) {
    const newKey = encoder.encode(current.trim());
    const oldKey = encoder.encode(previous.trim());
    const fresh = await sign(newKey);
    return [
      {
        label: 'the new key is a different key of at least 64 bytes',
        ok: current !== previous && current.trim().length >= 64,
      },
      { label: 'a token signed with the new AWSCURRENT key verifies', ok: await verifies(fresh, [newKey]) },
      {
        label: 'old: a token signed before the rotation is rejected by AWSCURRENT alone',
        ok: !(await verifies(plainOldToken, [newKey])),
      },
      {
        label:
          'old: it still verifies for services that also accept AWSPREVIOUS (grace until the next rotation)',
        ok: await verifies(plainOldToken, [newKey, oldKey]),
      },
    ] satisfies Check[];
  },
};

const named: Demo = {
  title: 'JWT, named keys in JSON',
  kind: 'jwt',
  secretName: 'demo/jwt/named',
  async setup() {
    const key = randomBytes(64).toString('base64url');
    namedOldToken = await sign(encoder.encode(key));
    return JSON.stringify({ JWT_SECRET: key, issuer: 'https://demo.example' });
  },
  async verify(_stack, { current, previous }) {
    const now = JSON.parse(current) as { JWT_SECRET: string; issuer?: string };
    const before = JSON.parse(previous) as { JWT_SECRET: string };
    const newKey = encoder.encode(now.JWT_SECRET);
    return [
      {
        label: 'JWT_SECRET was replaced; the other field (issuer) was kept',
        ok: now.JWT_SECRET !== before.JWT_SECRET && now.issuer === 'https://demo.example',
      },
      {
        label: 'a token signed with the new JWT_SECRET verifies',
        ok: await verifies(await sign(newKey), [newKey]),
      },
      {
        label: 'old: a token signed before the rotation is rejected by the new key',
        ok: !(await verifies(namedOldToken, [newKey])),
      },
    ] satisfies Check[];
  },
};

interface KeyringDoc {
  readonly keys: readonly {
    readonly kid: string;
    readonly alg: string;
    readonly status: string;
    readonly k?: string;
  }[];
}

function hmacKeys(document: KeyringDoc): Map<string, Uint8Array> {
  return new Map(
    document.keys.filter((key) => key.k).map((key) => [key.kid, Buffer.from(key.k as string, 'base64url')]),
  );
}

const keyring: Demo = {
  title: 'JWT, keyring (kid; next -> current -> previous)',
  kind: 'jwt',
  secretName: 'demo/jwt/keyring',
  // A new key is published as "next" one rotation before it signs: rotate twice to see it take over.
  rotations: 2,
  async setup() {
    const k = randomBytes(64).toString('base64url');
    keyringOldToken = await sign(Buffer.from(k, 'base64url'), 'demo-key-1');
    return JSON.stringify({
      format: 'jwt-keyring/v1',
      keys: [{ kid: 'demo-key-1', alg: 'HS256', createdAt: new Date().toISOString(), status: 'current', k }],
    });
  },
  async afterRotation(_stack, current) {
    const document = JSON.parse(current) as KeyringDoc;
    return [`keyring: ${document.keys.map((key) => `${key.kid} ${key.status}`).join(', ')}`];
  },
  async verify(_stack, { current, previous }) {
    const document = JSON.parse(current) as KeyringDoc;
    const before = JSON.parse(previous) as KeyringDoc;
    const keys = hmacKeys(document);
    const signer = document.keys.find((key) => key.status === 'current');
    const signerKey = signer ? keys.get(signer.kid) : undefined;
    const publishedBefore = before.keys.find((key) => key.status === 'next')?.kid;
    const byKid = async (token: string): Promise<boolean> => {
      const header = JSON.parse(Buffer.from(token.split('.')[0] ?? '', 'base64url').toString('utf8')) as {
        kid?: string;
      };
      const key = header.kid === undefined ? undefined : keys.get(header.kid);
      return key !== undefined && (await verifies(token, [key]));
    };
    return [
      {
        label: `the key published as "next" by rotation 1 (${publishedBefore ?? 'none'}) signs now`,
        ok: signer !== undefined && signer.kid === publishedBefore && signer.kid !== 'demo-key-1',
      },
      {
        label: 'a new "next" key is published for the rotation after',
        ok: document.keys.some((key) => key.status === 'next' && key.kid !== publishedBefore),
      },
      {
        label: 'a token signed with the current key verifies by its kid',
        ok:
          signer !== undefined && signerKey !== undefined && (await byKid(await sign(signerKey, signer.kid))),
      },
      {
        label:
          'old: a token signed by demo-key-1 before both rotations still verifies (demo-key-1 is "previous")',
        ok:
          document.keys.some((key) => key.kid === 'demo-key-1' && key.status === 'previous') &&
          (await byKid(keyringOldToken)),
      },
    ] satisfies Check[];
  },
};

export const jwtDemos: readonly Demo[] = [plain, named, keyring];
