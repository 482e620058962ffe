import { describe, expect, it } from 'vitest';
import { createCachingSecretsPort } from '../../shared/caching-secrets-port.ts';
import { Sensitive } from '../../shared/sensitive.ts';
import { MemorySecretsPort } from './memory-secrets-port.ts';

const CURRENT = 'v-current';
const PENDING = 'v-pending';

function arrange(): { inner: MemorySecretsPort; port: ReturnType<typeof createCachingSecretsPort> } {
  const inner = new MemorySecretsPort()
    .addVersion('v-previous', 'previous value', ['AWSPREVIOUS'])
    .addVersion(CURRENT, 'current value', ['AWSCURRENT'])
    .addVersion(PENDING, undefined, ['AWSPENDING']);
  return { inner, port: createCachingSecretsPort(inner) };
}

const reads = (inner: MemorySecretsPort): number =>
  inner.calls.filter((call) => call.startsWith('GetSecretValue')).length;

describe('createCachingSecretsPort', () => {
  it('reads a version once when asked by VersionId and the latest description shows the stage', async () => {
    const { inner, port } = arrange();
    await port.describeSecret(inner.arn);
    const first = await port.getSecretValue({
      SecretId: inner.arn,
      VersionId: CURRENT,
      VersionStage: 'AWSCURRENT',
    });
    const second = await port.getSecretValue({
      SecretId: inner.arn,
      VersionId: CURRENT,
      VersionStage: 'AWSCURRENT',
    });
    expect(reads(inner)).toBe(1);
    expect(second?.SecretString?.reveal()).toBe('current value');
    expect(second?.VersionStages).toEqual(first?.VersionStages);
  });

  it('always asks the service for a read by label only', async () => {
    const { inner, port } = arrange();
    await port.getSecretValue({ SecretId: inner.arn, VersionStage: 'AWSCURRENT' });
    await port.getSecretValue({ SecretId: inner.arn, VersionStage: 'AWSCURRENT' });
    expect(reads(inner)).toBe(2);
  });

  it('asks the service again when the latest description does not show the stage on the version', async () => {
    const { inner, port } = arrange();
    await port.describeSecret(inner.arn);
    await port.getSecretValue({ SecretId: inner.arn, VersionId: CURRENT, VersionStage: 'AWSCURRENT' });
    // The label moved elsewhere (another rotation finished): the next description says so.
    inner.addVersion('v-newer', 'newer value', ['AWSCURRENT']);
    await port.describeSecret(inner.arn);
    const stale = await port.getSecretValue({
      SecretId: inner.arn,
      VersionId: CURRENT,
      VersionStage: 'AWSCURRENT',
    });
    expect(reads(inner)).toBe(2);
    expect(stale).toBeUndefined();
  });

  it('applies a label move made through it as the service does, so the moved labels are served from memory', async () => {
    const { inner, port } = arrange();
    await port.describeSecret(inner.arn);
    await port.getSecretValue({ SecretId: inner.arn, VersionId: CURRENT, VersionStage: 'AWSCURRENT' });
    await port.updateSecretVersionStage({
      SecretId: inner.arn,
      VersionStage: 'AWSCURRENT',
      MoveToVersionId: PENDING,
      RemoveFromVersionId: CURRENT,
    });
    const previous = await port.getSecretValue({
      SecretId: inner.arn,
      VersionId: CURRENT,
      VersionStage: 'AWSPREVIOUS',
    });
    expect(previous?.VersionStages).toEqual(['AWSPREVIOUS']);
    await port.getSecretValue({ SecretId: inner.arn, VersionId: CURRENT, VersionStage: 'AWSCURRENT' });
    expect(reads(inner)).toBe(2); // the second ask for AWSCURRENT on the old version went to the service
  });

  it('forgets the labels after a label move that failed, until the next description', async () => {
    const { inner, port } = arrange();
    await port.describeSecret(inner.arn);
    await port.getSecretValue({ SecretId: inner.arn, VersionId: CURRENT, VersionStage: 'AWSCURRENT' });
    inner.updateSecretVersionStage = async () => {
      throw new Error('answer lost');
    };
    await expect(
      port.updateSecretVersionStage({
        SecretId: inner.arn,
        VersionStage: 'AWSCURRENT',
        MoveToVersionId: PENDING,
        RemoveFromVersionId: CURRENT,
      }),
    ).rejects.toThrow('answer lost');
    await port.getSecretValue({ SecretId: inner.arn, VersionId: CURRENT, VersionStage: 'AWSCURRENT' });
    expect(reads(inner)).toBe(2);
  });

  it('remembers the value PutSecretValue stored without reading it back', async () => {
    const { inner, port } = arrange();
    await port.describeSecret(inner.arn);
    await port.putSecretValue({
      SecretId: inner.arn,
      ClientRequestToken: PENDING,
      SecretString: new Sensitive('pending value'),
      VersionStages: ['AWSPENDING'],
    });
    const pending = await port.getSecretValue({
      SecretId: inner.arn,
      VersionId: PENDING,
      VersionStage: 'AWSPENDING',
    });
    expect(reads(inner)).toBe(0);
    expect(pending?.SecretString?.reveal()).toBe('pending value');
    expect(pending?.VersionStages).toEqual(['AWSPENDING']);
  });

  it('keeps nothing for a version without a value, so a value stored later is read', async () => {
    const { inner, port } = arrange();
    await port.describeSecret(inner.arn);
    const where = { SecretId: inner.arn, VersionId: PENDING, VersionStage: 'AWSPENDING' };
    expect(await port.getSecretValue(where)).toBeUndefined();
    inner.addVersion(PENDING, 'stored elsewhere', ['AWSPENDING']);
    expect((await port.getSecretValue(where))?.SecretString?.reveal()).toBe('stored elsewhere');
    expect(reads(inner)).toBe(2);
  });

  it('keeps nothing when the put fails', async () => {
    const { inner, port } = arrange();
    inner.putSecretValue = async () => {
      throw new Error('refused');
    };
    await port.describeSecret(inner.arn);
    await expect(
      port.putSecretValue({
        SecretId: inner.arn,
        ClientRequestToken: PENDING,
        SecretString: new Sensitive('never stored'),
        VersionStages: ['AWSPENDING'],
      }),
    ).rejects.toThrow('refused');
    expect(
      await port.getSecretValue({ SecretId: inner.arn, VersionId: PENDING, VersionStage: 'AWSPENDING' }),
    ).toBeUndefined();
  });

  it('holds at most maxVersions versions, dropping the least recently used', async () => {
    const inner = new MemorySecretsPort();
    for (let i = 0; i < 4; i += 1) inner.addVersion(`v${i}`, `value ${i}`, [`S${i}`]);
    const port = createCachingSecretsPort(inner, { maxVersions: 2 });
    const read = (i: number) => port.getSecretValue({ SecretId: inner.arn, VersionId: `v${i}` });
    // MemorySecretsPort answers a read without stage as AWSCURRENT only; give each a stage of its own.
    inner.getSecretValue = async (input) => {
      inner.calls.push('GetSecretValue:');
      const value = inner.versions.get(input.VersionId ?? '')?.value;
      return value === undefined
        ? undefined
        : {
            ARN: inner.arn,
            VersionId: input.VersionId ?? '',
            VersionStages: [],
            SecretString: new Sensitive(value),
          };
    };
    await read(0);
    await read(1);
    await read(0); // v0 is now the most recent
    await read(2); // evicts v1
    expect(reads(inner)).toBe(3);
    await read(0);
    expect(reads(inner)).toBe(3);
    await read(1);
    expect(reads(inner)).toBe(4);
  });

  it('rejects a cache size that is not a positive integer', () => {
    expect(() => createCachingSecretsPort(new MemorySecretsPort(), { maxVersions: 0 })).toThrow(
      /maxVersions must be a positive integer, got 0/,
    );
  });
});
