import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  CreateSecretCommand,
  DescribeSecretCommand,
  GetSecretValueCommand,
  RotateSecretCommand,
  SecretsManagerClient,
  TagResourceCommand,
} from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildFunctions } from '../../../scripts/build/build-functions.ts';
import { startEmulator, type Emulator } from '../../../scripts/emulator/index.ts';
import { keyringSecret, plainBase64Key, secretFragments } from './jwt-fixtures.ts';
import {
  signWithKeyString,
  signWithKeyring,
  verifiesWithAnyKeyString,
  verifiesWithKeyring,
} from './jwt-verifiers.ts';

/**
 * The shipped artefact: jwt.zip as `npm run build` makes it, run by the emulator in a
 * child process with its own environment, driven by RotateSecret through the real SDK.
 */
const rootDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
let outDir: string;
let emu: Emulator;
let client: SecretsManagerClient;
let lambdaArn: string;
const seen: string[] = [];

beforeAll(async () => {
  outDir = await mkdtemp(path.join(tmpdir(), 'jwt-bundle-'));
  const result = await buildFunctions({
    rootDir,
    outDir,
    sources: [{ name: 'jwt', entry: 'functions/jwt/handler.ts' }],
  });
  const zip = result.built[0];
  if (!zip) throw new Error(`jwt.zip was not built: ${result.skipped.map((s) => s.reason).join('; ')}`);
  emu = await startEmulator({ port: 0, rotationRetries: 0 });
  client = new SecretsManagerClient({
    endpoint: emu.endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
  });
  lambdaArn = emu.registerFunction(
    'jwt-zip',
    { path: zip.zipPath },
    { env: { JWT_HMAC_KEY_BYTES: '96', POWERTOOLS_LOG_LEVEL: 'INFO' }, poolSize: 1 },
  );
}, 120_000);

afterAll(async () => {
  client?.destroy();
  await emu?.close();
  if (outDir) await rm(outDir, { recursive: true, force: true });
});

async function create(name: string, value: string): Promise<string> {
  seen.push(value);
  return (await client.send(new CreateSecretCommand({ Name: name, SecretString: value }))).ARN!;
}

async function rotate(arn: string): Promise<string> {
  await client.send(
    new RotateSecretCommand({
      SecretId: arn,
      RotationLambdaARN: lambdaArn,
      RotationRules: { AutomaticallyAfterDays: 90 },
    }),
  );
  return (await emu.waitForRotation(arn)).outcome;
}

async function value(arn: string, stage = 'AWSCURRENT'): Promise<string | undefined> {
  try {
    const out = (await client.send(new GetSecretValueCommand({ SecretId: arn, VersionStage: stage })))
      .SecretString;
    if (out) seen.push(out);
    return out;
  } catch {
    return undefined;
  }
}

describe('the built jwt.zip', () => {
  it('rotates a plain key with the size JWT_HMAC_KEY_BYTES sets, keeping old tokens valid with AWSPREVIOUS', async () => {
    const key = plainBase64Key();
    const arn = await create('bundle/plain', key);
    const token = await signWithKeyString(key);
    expect(await rotate(arn)).toBe('succeeded');
    const next = (await value(arn))!;
    expect(Buffer.from(next, 'base64').length).toBeGreaterThanOrEqual(96);
    expect(await verifiesWithAnyKeyString(token, [next, await value(arn, 'AWSPREVIOUS')])).toBe(true);
  });

  it('promotes an EdDSA keyring on schedule and revokes it in an emergency', async () => {
    const { value: initial } = await keyringSecret([
      { kid: 'e1', status: 'current', alg: 'EdDSA' },
      { kid: 'e2', status: 'next', alg: 'EdDSA' },
    ]);
    const arn = await create('bundle/keyring', initial);
    const token = await signWithKeyring(initial);
    expect(await rotate(arn)).toBe('succeeded');
    expect(await verifiesWithKeyring(token, (await value(arn))!)).toBe(true);
    await client.send(
      new TagResourceCommand({ SecretId: arn, Tags: [{ Key: 'RotationMode', Value: 'emergency' }] }),
    );
    expect(await rotate(arn)).toBe('succeeded');
    expect(await verifiesWithKeyring(token, (await value(arn))!)).toBe(false);
    const tags = (await client.send(new DescribeSecretCommand({ SecretId: arn }))).Tags ?? [];
    expect(tags.some((tag) => tag.Key === 'RotationMode')).toBe(false);
  });

  it('prints no key material in its output', () => {
    const output = emu.functionLogs('jwt-zip').join('\n');
    expect(output).toContain('Rotation step succeeded');
    const fragments = seen.flatMap(secretFragments);
    expect(fragments.length).toBeGreaterThan(5);
    for (const fragment of fragments) expect(output.includes(fragment)).toBe(false);
  });
});
