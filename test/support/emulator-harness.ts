/**
 * The Secrets Manager side that kind-specific test harnesses share: a fresh emulator on a
 * random port, a real SDK client pointed at it, and the few calls tests make through it.
 */
import {
  CreateSecretCommand,
  DescribeSecretCommand,
  GetSecretValueCommand,
  RotateSecretCommand,
  SecretsManagerClient,
  TagResourceCommand,
} from '@aws-sdk/client-secrets-manager';
import {
  startEmulator,
  type Emulator,
  type EmulatorOptions,
  type RotationRecord,
} from '../../scripts/emulator/index.ts';

export interface Harness {
  readonly emu: Emulator;
  readonly sm: SecretsManagerClient;
  close(): Promise<void>;
}

/** A fresh emulator on a random port and a real SDK v3 client pointed at it. */
export async function startHarness(options: EmulatorOptions = {}, region = 'us-east-1'): Promise<Harness> {
  const emu = await startEmulator({ port: 0, ...options });
  const sm = clientFor(emu.endpoint, region);
  return {
    emu,
    sm,
    close: async () => {
      sm.destroy();
      await emu.close();
    },
  };
}

export function clientFor(endpoint: string, region = 'us-east-1'): SecretsManagerClient {
  return new SecretsManagerClient({
    endpoint,
    region,
    credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
    maxAttempts: 1,
  });
}

export interface EmulatorSecrets {
  readonly emu: Emulator;
  readonly sm: SecretsManagerClient;
  /** CreateSecret; an object value is stored as JSON. Resolves with the ARN. */
  createSecret(name: string, value: string | object, tags?: Record<string, string>): Promise<string>;
  /** RotateSecret (90-day rule) and wait for the rotation, all its retries included, to end. */
  rotate(secretId: string, functionArn: string): Promise<RotationRecord>;
  /** RotateSecret (90-day rule), returning at once: the rotation runs on. */
  startRotation(secretId: string, functionArn: string): Promise<void>;
  current(secretId: string): Promise<string>;
  stages(secretId: string): Promise<Record<string, string[]>>;
  tag(secretId: string, tags: Record<string, string>): Promise<void>;
  close(): Promise<void>;
}

/** A fresh emulator (no rotation retries unless asked; other options as given) and its SDK helpers. */
export async function startEmulatorSecrets(options: EmulatorOptions = {}): Promise<EmulatorSecrets> {
  const { emu, sm, close } = await startHarness({
    ...options,
    rotationRetries: options.rotationRetries ?? 0,
  });
  const startRotation = async (secretId: string, functionArn: string): Promise<void> => {
    await sm.send(
      new RotateSecretCommand({
        SecretId: secretId,
        RotationLambdaARN: functionArn,
        RotationRules: { AutomaticallyAfterDays: 90 },
      }),
    );
  };
  const tagList = (tags: Record<string, string>) =>
    Object.entries(tags).map(([Key, Value]) => ({ Key, Value }));
  return {
    emu,
    sm,
    async createSecret(name, value, tags) {
      const out = await sm.send(
        new CreateSecretCommand({
          Name: name,
          SecretString: typeof value === 'string' ? value : JSON.stringify(value),
          ...(tags ? { Tags: tagList(tags) } : {}),
        }),
      );
      return out.ARN as string;
    },
    async rotate(secretId, functionArn) {
      await startRotation(secretId, functionArn);
      return emu.waitForRotation(secretId);
    },
    startRotation,
    async current(secretId) {
      const out = await sm.send(new GetSecretValueCommand({ SecretId: secretId }));
      return out.SecretString as string;
    },
    async stages(secretId) {
      const out = await sm.send(new DescribeSecretCommand({ SecretId: secretId }));
      return out.VersionIdsToStages ?? {};
    },
    async tag(secretId, tags) {
      await sm.send(new TagResourceCommand({ SecretId: secretId, Tags: tagList(tags) }));
    },
    close,
  };
}

/** Every log line and every error of the rotation records, for leak checks. */
export function everything(log: { lines: string[] }, records: readonly RotationRecord[]): string {
  return [...log.lines, ...records.flatMap((r) => r.steps.map((s) => JSON.stringify(s.error ?? {})))].join(
    '\n',
  );
}
