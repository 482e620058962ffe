import {
  CreateSecretCommand,
  DescribeSecretCommand,
  GetSecretValueCommand,
  ListSecretVersionIdsCommand,
  RotateSecretCommand,
  SecretsManagerClient,
  TagResourceCommand,
} from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jwtFunction } from '../../../functions/jwt/definition.ts';
import { startEmulator, type Emulator, type RotationRecord } from '../../../scripts/emulator/index.ts';
import { buildRotationFunction } from '../../../shared/rotation-function.ts';
import { createMemoryLog, createMemoryMetrics } from '../../../scripts/testbed/memory-observability.ts';
import { createSdkSecretsPort } from '../../../shared/sdk-secrets-port.ts';
import type {
  PutSecretValueInput,
  SecretsPort,
  UpdateSecretVersionStageInput,
} from '../../../shared/secrets-port.ts';
import { ALGS, keyringSecret, namedSecret, plainBase64Key, secretFragments } from './jwt-fixtures.ts';
import {
  signWithKeyString,
  signWithKeyring,
  verifiesWithAnyKeyString,
  verifiesWithJwks,
  verifiesWithKeyring,
} from './jwt-verifiers.ts';

/**
 * Evidence, end to end: the real AWS SDK drives RotateSecret on the project's Secrets
 * Manager emulator, which invokes the JWT function in-process for each step and retries
 * a failed rotation as the service does.
 */

/** A SecretsPort that can die right after a chosen call succeeds, as a Lambda killed mid-step would. */
class CrashingPort implements SecretsPort {
  crashAfter: 'put' | 'moveCurrent' | undefined;
  constructor(private readonly inner: SecretsPort) {}
  describeSecret = (id: string) => this.inner.describeSecret(id);
  getSecretValue: SecretsPort['getSecretValue'] = (input) => this.inner.getSecretValue(input);
  listSecretVersionIds: SecretsPort['listSecretVersionIds'] = (id) => this.inner.listSecretVersionIds(id);
  getRandomPassword: SecretsPort['getRandomPassword'] = (input) => this.inner.getRandomPassword(input);
  tagResource: SecretsPort['tagResource'] = (id, tags) => this.inner.tagResource(id, tags);
  untagResource: SecretsPort['untagResource'] = (id, keys) => this.inner.untagResource(id, keys);
  async putSecretValue(input: PutSecretValueInput): Promise<void> {
    await this.inner.putSecretValue(input);
    if (this.crashAfter === 'put') {
      this.crashAfter = undefined;
      throw new Error('Simulated crash after PutSecretValue');
    }
  }
  async updateSecretVersionStage(input: UpdateSecretVersionStageInput): Promise<void> {
    await this.inner.updateSecretVersionStage(input);
    if (this.crashAfter === 'moveCurrent' && input.VersionStage === 'AWSCURRENT') {
      this.crashAfter = undefined;
      throw new Error('Simulated crash after moving AWSCURRENT');
    }
  }
}

let emu: Emulator;
let client: SecretsManagerClient;
let port: CrashingPort;
let lambdaArn: string;
let twiceArn: string;
const logger = createMemoryLog();
/** Every secret value the tests saw, for the leak scan at the end. */
const seenValues = new Set<string>();
let counter = 0;

beforeAll(async () => {
  emu = await startEmulator({ port: 0, rotationRetries: 2 });
  client = new SecretsManagerClient({
    endpoint: emu.endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
  });
  port = new CrashingPort(createSdkSecretsPort(client));
  const fn = buildRotationFunction(jwtFunction, {
    env: { AWS_REGION: 'us-east-1' },
    secrets: port,
    logger,
    metrics: createMemoryMetrics(),
  });
  lambdaArn = emu.registerFunction('jwt-rotation', (event) => fn.handler(event));
  // Every step invoked twice in a row: re-runs must change nothing.
  twiceArn = emu.registerFunction('jwt-rotation-twice', async (event) => {
    await fn.handler(event);
    await fn.handler(event);
  });
});

afterAll(async () => {
  client?.destroy();
  await emu?.close();
});

async function createSecret(value: string | Uint8Array, tags: Record<string, string> = {}): Promise<string> {
  counter += 1;
  if (typeof value === 'string') seenValues.add(value);
  const out = await client.send(
    new CreateSecretCommand({
      Name: `jwt/int-${counter}`,
      ...(typeof value === 'string' ? { SecretString: value } : { SecretBinary: value }),
      Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })),
    }),
  );
  return out.ARN!;
}

async function rotate(arn: string, functionArn = lambdaArn): Promise<RotationRecord> {
  await client.send(
    new RotateSecretCommand({
      SecretId: arn,
      RotationLambdaARN: functionArn,
      RotationRules: { AutomaticallyAfterDays: 90 },
    }),
  );
  return emu.waitForRotation(arn);
}

async function valueOf(arn: string, stage = 'AWSCURRENT'): Promise<string | undefined> {
  try {
    const out = await client.send(new GetSecretValueCommand({ SecretId: arn, VersionStage: stage }));
    if (out.SecretString !== undefined) seenValues.add(out.SecretString);
    return out.SecretString;
  } catch (error) {
    if ((error as Error).name === 'ResourceNotFoundException') return undefined;
    throw error;
  }
}

async function describe_(arn: string) {
  return client.send(new DescribeSecretCommand({ SecretId: arn }));
}

async function emergency(arn: string): Promise<RotationRecord> {
  await client.send(
    new TagResourceCommand({ SecretId: arn, Tags: [{ Key: 'RotationMode', Value: 'emergency' }] }),
  );
  return rotate(arn);
}

function expectTagGone(description: Awaited<ReturnType<typeof describe_>>): void {
  expect((description.Tags ?? []).some((tag) => tag.Key === 'RotationMode')).toBe(false);
}

describe('plain and named-key secrets through RotateSecret', () => {
  it('keeps a token signed before a scheduled rotation valid with current + previous, and kills it with an emergency rotation', async () => {
    const key = plainBase64Key();
    const arn = await createSecret(key);
    const before = await signWithKeyString(key);
    expect((await rotate(arn)).outcome).toBe('succeeded');
    expect(
      await verifiesWithAnyKeyString(before, [await valueOf(arn), await valueOf(arn, 'AWSPREVIOUS')]),
    ).toBe(true);

    const leaked = (await valueOf(arn))!;
    const signedWithLeaked = await signWithKeyString(leaked);
    expect((await emergency(arn)).outcome).toBe('succeeded');
    expect(await valueOf(arn, 'AWSPREVIOUS')).toBeUndefined();
    const verifierKeys = [await valueOf(arn), await valueOf(arn, 'AWSPREVIOUS')];
    expect(await verifiesWithAnyKeyString(signedWithLeaked, verifierKeys)).toBe(false);
    expect(await verifiesWithAnyKeyString(before, verifierKeys)).toBe(false);
    expectTagGone(await describe_(arn));
  });

  it('does the same for each key of a named-key secret, keeping the other fields', async () => {
    const { value, access, refresh } = namedSecret();
    const arn = await createSecret(value);
    const accessToken = await signWithKeyString(access);
    const refreshToken = await signWithKeyString(refresh);
    expect((await rotate(arn)).outcome).toBe('succeeded');
    const current = JSON.parse((await valueOf(arn))!);
    const previous = JSON.parse((await valueOf(arn, 'AWSPREVIOUS'))!);
    expect(current).toMatchObject({ issuer: 'https://issuer.example', ttl: 900 });
    expect(await verifiesWithAnyKeyString(accessToken, [current.JWT_SECRET, previous.JWT_SECRET])).toBe(true);
    expect(
      await verifiesWithAnyKeyString(refreshToken, [current.JWT_REFRESH_SECRET, previous.JWT_REFRESH_SECRET]),
    ).toBe(true);

    const leakedAccess = await signWithKeyString(current.JWT_SECRET);
    expect((await emergency(arn)).outcome).toBe('succeeded');
    const after = JSON.parse((await valueOf(arn))!);
    expect(await valueOf(arn, 'AWSPREVIOUS')).toBeUndefined();
    expect(await verifiesWithAnyKeyString(leakedAccess, [after.JWT_SECRET])).toBe(false);
    expectTagGone(await describe_(arn));
  });
});

describe.each(ALGS)('a %s keyring through RotateSecret', (alg) => {
  it('keeps tokens signed before a scheduled rotation valid with the keyring, and kills them with an emergency rotation', async () => {
    const { value } = await keyringSecret([
      { kid: `${alg}-1`, status: 'current', alg },
      { kid: `${alg}-2`, status: 'next', alg },
      { kid: `${alg}-0`, status: 'previous', alg },
    ]);
    const arn = await createSecret(value);
    const before = await signWithKeyring(value);
    expect((await rotate(arn)).outcome).toBe('succeeded');
    const scheduled = (await valueOf(arn))!;
    expect(
      JSON.parse(scheduled).keys.map((key: { kid: string; status: string }) => `${key.kid}:${key.status}`),
    ).toEqual(expect.arrayContaining([`${alg}-2:current`, `${alg}-1:previous`]));
    expect(await verifiesWithKeyring(before, scheduled)).toBe(true);
    if (!alg.startsWith('HS')) expect(await verifiesWithJwks(before, scheduled)).toBe(true);

    const signedAfter = await signWithKeyring(scheduled);
    expect((await emergency(arn)).outcome).toBe('succeeded');
    const revoked = (await valueOf(arn))!;
    expect(await verifiesWithKeyring(before, revoked)).toBe(false);
    expect(await verifiesWithKeyring(signedAfter, revoked)).toBe(false);
    expect(await verifiesWithKeyring(await signWithKeyring(revoked), revoked)).toBe(true);
    expect(await valueOf(arn, 'AWSPREVIOUS')).toBeUndefined();
    expectTagGone(await describe_(arn));
  });
});

describe('idempotency and recovery', () => {
  it('gives the same end state when every step runs twice', async () => {
    const { value } = await keyringSecret([{ kid: 'k1', status: 'current', alg: 'ES256' }]);
    const arn = await createSecret(value);
    const record = await rotate(arn, twiceArn);
    expect(record.outcome).toBe('succeeded');
    expect(record.attempts).toBe(1);
    const versions = await client.send(new ListSecretVersionIdsCommand({ SecretId: arn }));
    expect(versions.Versions?.map((v) => v.VersionStages?.join(',')).sort()).toEqual([
      'AWSCURRENT',
      'AWSPREVIOUS',
    ]);
    const doc = JSON.parse((await valueOf(arn))!);
    expect(doc.keys.map((key: { status: string }) => key.status).sort()).toEqual(['current', 'next']);
  });

  it('recovers on the service retry when the function dies right after storing the pending value', async () => {
    const key = plainBase64Key();
    const arn = await createSecret(key);
    port.crashAfter = 'put';
    const record = await rotate(arn);
    expect(record.outcome).toBe('succeeded');
    expect(record.attempts).toBe(2);
    expect(record.steps[0]).toMatchObject({ step: 'createSecret', ok: false });
    expect(await valueOf(arn, 'AWSPREVIOUS')).toBe(key);
    expect(await valueOf(arn)).not.toBe(key);
  });

  it('finishes an emergency rotation on retry when the function dies right after moving AWSCURRENT', async () => {
    const key = plainBase64Key();
    const arn = await createSecret(key, { RotationMode: 'emergency' });
    const token = await signWithKeyString(key);
    port.crashAfter = 'moveCurrent';
    const record = await rotate(arn);
    expect(record.outcome).toBe('succeeded');
    expect(record.steps.filter((step) => step.step === 'finishSecret').map((step) => step.ok)).toEqual([
      false,
      true,
    ]);
    expect(await valueOf(arn, 'AWSPREVIOUS')).toBeUndefined();
    expect(await verifiesWithAnyKeyString(token, [await valueOf(arn)])).toBe(false);
    expectTagGone(await describe_(arn));
  });
});

describe('bad inputs fail with a stable code and change nothing', () => {
  const twoCurrent = async () => {
    const doc = JSON.parse(
      (
        await keyringSecret([
          { kid: 'a', status: 'current', alg: 'HS256' },
          { kid: 'b', status: 'next', alg: 'HS256' },
        ])
      ).value,
    );
    doc.keys[1].status = 'current';
    return JSON.stringify(doc);
  };
  const unknownAlg = async () => {
    const doc = JSON.parse((await keyringSecret([{ kid: 'a', status: 'current', alg: 'HS256' }])).value);
    doc.keys[0].alg = 'HS1024';
    return JSON.stringify(doc);
  };
  const cases: [string, () => Promise<string | Uint8Array>, string][] = [
    ['an empty (blank) secret', async () => '   ', 'ERR_SECRET_MALFORMED'],
    [
      'a value that looks like JSON but is not',
      async () => `{"a": "${plainBase64Key()}"`,
      'ERR_SECRET_MALFORMED',
    ],
    ['a keyring with two current keys', twoCurrent, 'ERR_SECRET_MALFORMED'],
    ['a keyring with an unknown alg', unknownAlg, 'ERR_SECRET_MALFORMED'],
    [
      'a key field that is not a string',
      async () => JSON.stringify({ JWT_SECRET: { value: plainBase64Key() } }),
      'ERR_SECRET_MALFORMED',
    ],
    ['a binary secret', async () => new Uint8Array(64).fill(7), 'ERR_SECRET_BINARY_UNSUPPORTED'],
  ];
  it.each(cases)('%s', async (_name, make, code) => {
    const value = await make();
    const arn = await createSecret(value);
    const before = await describe_(arn);
    const currentBefore = await client.send(new GetSecretValueCommand({ SecretId: arn }));
    const record = await rotate(arn);
    expect(record.outcome).toBe('failed');
    expect(record.attempts).toBe(3);
    expect(record.steps).toHaveLength(3);
    expect(
      record.steps.every((step) => !step.ok && step.step === 'createSecret' && step.error?.code === code),
    ).toBe(true);
    const after = await describe_(arn);
    const currentAfter = await client.send(new GetSecretValueCommand({ SecretId: arn }));
    expect(currentAfter.VersionId).toBe(currentBefore.VersionId);
    expect(currentAfter.SecretString).toBe(currentBefore.SecretString);
    // Only the rotation's empty AWSPENDING placeholder was added, as Secrets Manager does.
    const added = Object.keys(after.VersionIdsToStages ?? {}).filter(
      (id) => !(id in (before.VersionIdsToStages ?? {})),
    );
    expect(added).toEqual([record.token]);
    expect(await valueOf(arn, 'AWSPENDING')).toBeUndefined();
    for (const step of record.steps)
      if (typeof value === 'string' && value.trim())
        for (const fragment of fragmentsOf(value)) expect(step.error?.message).not.toContain(fragment);
  });

  it('replaces a current key weaker than the policy and says so without the key', async () => {
    const arn = await createSecret('hunter2hunter2');
    expect((await rotate(arn)).outcome).toBe('succeeded');
    const warning = logger.lines.find(
      (line) => line.includes('below the key-strength policy') && line.includes(arn),
    );
    expect(warning).toBeDefined();
    expect(warning).not.toContain('hunter2hunter2');
    expect(Buffer.byteLength((await valueOf(arn))!)).toBeGreaterThanOrEqual(64);
  });
});

function fragmentsOf(value: string): string[] {
  try {
    return secretFragments(value).filter((fragment) => fragment.length >= 8);
  } catch {
    // not parseable: the whole value (less any JSON punctuation) is the fragment
    return [value.replace(/^[{\s"a:]+/, '').replace(/"$/, '')].filter((fragment) => fragment.length >= 8);
  }
}

describe('no key material leaks', () => {
  it('never writes a key into a log line or a rotation error message', () => {
    const fragments = [...seenValues].flatMap(fragmentsOf);
    expect(fragments.length).toBeGreaterThan(20);
    const messages = emu.rotations.flatMap((record) => record.steps.map((step) => step.error?.message ?? ''));
    for (const text of [...logger.lines, ...messages])
      for (const fragment of fragments) expect(text.includes(fragment)).toBe(false);
  });
});
