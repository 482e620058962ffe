import { describe, expect, it } from 'vitest';
import { ServiceError } from '../../../scripts/emulator/service-error.ts';
import { SecretStore } from '../../../scripts/emulator/store.ts';

const T = (label: string): string => `${label}-`.padEnd(32, '0');

function newStore(now: { ms: number }, changes: string[] = []): SecretStore {
  return new SecretStore({
    region: 'eu-central-1',
    accountId: '111122223333',
    clock: () => now.ms,
    onChange: () => changes.push('change'),
  });
}

describe('SecretStore (the model without HTTP)', () => {
  it('takes every time from the injected clock and returns epoch seconds', () => {
    const now = { ms: Date.UTC(2030, 4, 6, 7, 8, 9, 500) };
    const store = newStore(now);
    const created = store.createSecret({ Name: 'unit/a', SecretString: 'x', ClientRequestToken: T('v1') });
    expect(created['ARN']).toMatch(
      /^arn:aws:secretsmanager:eu-central-1:111122223333:secret:unit\/a-[A-Za-z0-9]{6}$/,
    );
    now.ms += 60_000;
    store.putSecretValue({ SecretId: 'unit/a', SecretString: 'y', ClientRequestToken: T('v2') });
    const described = store.describeSecret({ SecretId: 'unit/a' });
    expect(described['CreatedDate']).toBe(Date.UTC(2030, 4, 6, 7, 8, 9, 500) / 1000);
    expect(described['LastChangedDate']).toBe(now.ms / 1000);
  });

  it('reports each change (for persistence) and none for a describe', () => {
    const changes: string[] = [];
    const store = newStore({ ms: 0 }, changes);
    store.createSecret({ Name: 'unit/b', SecretString: 'x', ClientRequestToken: T('v1') });
    store.describeSecret({ SecretId: 'unit/b' });
    store.listSecrets({});
    expect(changes).toHaveLength(1);
    store.tagResource({ SecretId: 'unit/b', Tags: [{ Key: 'k', Value: 'v' }] });
    expect(changes).toHaveLength(2);
  });

  it('a failed operation changes nothing and reports no change', () => {
    const changes: string[] = [];
    const store = newStore({ ms: 0 }, changes);
    store.createSecret({ Name: 'unit/c', SecretString: 'x', ClientRequestToken: T('v1') });
    const before = JSON.stringify(store.snapshot());
    expect(() =>
      store.updateSecretVersionStage({
        SecretId: 'unit/c',
        VersionStage: 'AWSCURRENT',
        MoveToVersionId: T('zz'),
      }),
    ).toThrow(ServiceError);
    expect(() =>
      store.putSecretValue({
        SecretId: 'unit/c',
        SecretString: 'y',
        ClientRequestToken: T('v2'),
        VersionStages: [],
      }),
    ).toThrow(ServiceError);
    expect(JSON.stringify(store.snapshot())).toBe(before);
    expect(changes).toHaveLength(1);
  });

  it('snapshot and load round-trip secrets, versions, labels and deletion state', () => {
    const now = { ms: 1_000_000 };
    const store = newStore(now);
    store.createSecret({
      Name: 'unit/d',
      SecretString: 'x',
      ClientRequestToken: T('v1'),
      Tags: [{ Key: 'a', Value: 'b' }],
    });
    store.putSecretValue({
      SecretId: 'unit/d',
      SecretBinary: Buffer.from([1, 2]).toString('base64'),
      ClientRequestToken: T('v2'),
      VersionStages: ['AWSPENDING'],
    });
    store.createSecret({ Name: 'unit/e', ClientRequestToken: T('e') });
    store.deleteSecret({ SecretId: 'unit/e', RecoveryWindowInDays: 7 });
    const copy = newStore(now);
    copy.load(JSON.parse(JSON.stringify(store.snapshot())) as ReturnType<SecretStore['snapshot']>);
    expect(copy.describeSecret({ SecretId: 'unit/d' })).toEqual(store.describeSecret({ SecretId: 'unit/d' }));
    expect(copy.getSecretValue({ SecretId: 'unit/d', VersionStage: 'AWSPENDING' })['SecretBinary']).toBe(
      'AQI=',
    );
    expect(copy.describeSecret({ SecretId: 'unit/e' })['DeletedDate']).toBe((now.ms + 7 * 86_400_000) / 1000);
  });
});
