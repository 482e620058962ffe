import { describe, expect, it } from 'vitest';
import { allowedRdsPort } from '../../../functions/postgres/allowed-rds-port.ts';
import { readPostgresConfig, rdsResourceKey } from '../../../functions/postgres/postgres-config.ts';
import type { RdsPort } from '../../../functions/postgres/rds-port.ts';
import { EnvReader } from '../../../shared/config.ts';
import { ErrorCode } from '../../../shared/errors.ts';
import { Sensitive } from '../../../shared/sensitive.ts';

function recordingRds(): RdsPort & { calls: string[] } {
  const calls: string[] = [];
  return {
    calls,
    describeDbInstance: async (id) => void calls.push(`instance:${id}`),
    describeDbCluster: async (id) => void calls.push(`cluster:${id}`),
    resetMasterPassword: async (target) => void calls.push(`reset:${target.kind}:${target.identifier}`),
  };
}

function guarded(env: Record<string, string>) {
  const config = readPostgresConfig(new EnvReader(env));
  const rds = recordingRds();
  return {
    rds,
    port: allowedRdsPort(() => rds, { describe: config.rdsResources, reset: config.breakGlassResources }),
  };
}

const ARN = (kind: string, id: string) => `arn:aws:rds:eu-west-1:123456789012:${kind}:${id}`;
const password = new Sensitive('Pw-0123456789abcdef');

describe('rdsResourceKey', () => {
  it.each([
    [ARN('db', 'Prod-DB'), 'db:prod-db'],
    [ARN('cluster', 'aurora'), 'cluster:aurora'],
    ['db:orders', 'db:orders'],
    [ARN('db', 'prod-*'), 'db:prod-*'],
  ])('reads %s as %s', (entry, key) => expect(rdsResourceKey(entry)).toBe(key));

  it.each([ARN('snapshot', 's1'), 'prod-db', 'arn:aws:rds:eu-west-1:1:db:a:b', 'db:'])(
    'refuses %s',
    (entry) => expect(rdsResourceKey(entry)).toBeUndefined(),
  );
});

describe('the RDS port the function uses: only the databases it was deployed for', () => {
  it('describes a listed instance or cluster, by ARN, short form or IAM-style wildcard', async () => {
    const { rds, port } = guarded({
      PG_RDS_RESOURCE_ARNS: `${ARN('db', 'orders')},cluster:aurora,${ARN('db', 'replica-*')}`,
    });
    await port.describeDbInstance('orders');
    await port.describeDbInstance('ORDERS');
    await port.describeDbCluster('aurora');
    await port.describeDbInstance('replica-2');
    expect(rds.calls).toEqual(['instance:orders', 'instance:ORDERS', 'cluster:aurora', 'instance:replica-2']);
  });

  it('refuses anything else before calling RDS (an instance id is not a cluster id)', async () => {
    const { rds, port } = guarded({ PG_RDS_RESOURCE_ARNS: 'db:orders', PG_BREAK_GLASS_RESOURCE_ARNS: '' });
    await expect(port.describeDbInstance('payments')).rejects.toMatchObject({
      code: ErrorCode.ERR_TARGET_NOT_ALLOWED,
      details: { variable: 'PG_RDS_RESOURCE_ARNS', target: 'payments' },
    });
    await expect(port.describeDbCluster('orders')).rejects.toMatchObject({
      code: ErrorCode.ERR_TARGET_NOT_ALLOWED,
    });
    // Describable is not resettable: reset needs the break-glass list.
    await expect(
      port.resetMasterPassword({ kind: 'instance', identifier: 'orders' }, password),
    ).rejects.toMatchObject({
      code: ErrorCode.ERR_TARGET_NOT_ALLOWED,
      details: { variable: 'PG_BREAK_GLASS_RESOURCE_ARNS' },
    });
    expect(rds.calls).toEqual([]);
  });

  it('lets break-glass describe and reset its own databases only', async () => {
    const { rds, port } = guarded({ PG_BREAK_GLASS_RESOURCE_ARNS: ARN('cluster', 'aurora') });
    await port.describeDbCluster('aurora');
    await port.resetMasterPassword({ kind: 'cluster', identifier: 'aurora' }, password);
    await expect(
      port.resetMasterPassword({ kind: 'cluster', identifier: 'other' }, password),
    ).rejects.toMatchObject({
      code: ErrorCode.ERR_TARGET_NOT_ALLOWED,
    });
    expect(rds.calls).toEqual(['cluster:aurora', 'reset:cluster:aurora']);
  });

  it('refuses every RDS call when the lists are unset (deployed outside SAM/CDK), naming the variable', async () => {
    const { rds, port } = guarded({});
    await expect(port.describeDbInstance('orders')).rejects.toMatchObject({
      code: ErrorCode.ERR_CONFIG_INVALID,
      details: { variable: 'PG_RDS_RESOURCE_ARNS' },
    });
    await expect(
      port.resetMasterPassword({ kind: 'instance', identifier: 'orders' }, password),
    ).rejects.toMatchObject({
      code: ErrorCode.ERR_CONFIG_INVALID,
      details: { variable: 'PG_BREAK_GLASS_RESOURCE_ARNS' },
    });
    expect(rds.calls).toEqual([]);
  });

  it('allows any database with * (the operator says so knowingly)', async () => {
    const { rds, port } = guarded({ PG_RDS_RESOURCE_ARNS: '*' });
    await port.describeDbInstance('anything');
    expect(rds.calls).toEqual(['instance:anything']);
  });

  it('reports a list entry that is not an RDS instance or cluster, by variable name', () => {
    const reader = new EnvReader({ PG_BREAK_GLASS_RESOURCE_ARNS: ARN('snapshot', 's1') });
    const config = readPostgresConfig(reader);
    expect(() => reader.done(config)).toThrow(
      /PG_BREAK_GLASS_RESOURCE_ARNS must be a comma-separated list of RDS/,
    );
  });
});
