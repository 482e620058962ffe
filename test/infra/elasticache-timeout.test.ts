import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { ELASTICACHE_WORST_CASE_WAITS } from '../../functions/redis/elasticache-modes.ts';
import { evaluateCfn, loadCfnYaml, type CfnTemplate } from './cfn-template.ts';

// The Redis function's timeout must cover the worst case of one step's bounded ElastiCache waits
// plus 30 s (functions/redis/README.md). CloudFormation has no arithmetic, so the SAM template
// offers the waits as a menu and maps each to its timeout: every combination a deployer can pick
// is evaluated here as CloudFormation would.
const rootDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const GROUP = 'arn:aws:elasticache:eu-west-1:123456789012:replicationgroup:prod-rg';
const USER = 'arn:aws:elasticache:eu-west-1:123456789012:user:prod-user';

describe('SAM: the Redis function timeout and the ElastiCache waits', () => {
  let template: CfnTemplate;
  beforeAll(async () => {
    template = await loadCfnYaml(path.join(rootDir, 'infra/template.yaml'));
  });
  const redisTimeout = (parameters: Record<string, string>): number =>
    Number(evaluateCfn(template, template.Resources.RedisFunction?.Properties?.['Timeout'], parameters));

  it('offers only waits whose worst case fits Lambda (15 minutes), the default among them', () => {
    const offered = (template.Parameters?.ElastiCacheWaitSeconds?.AllowedValues ?? []).map(Number);
    expect(offered.length).toBeGreaterThan(0);
    expect(offered).toContain(Number(template.Parameters?.ElastiCacheWaitSeconds?.Default));
    for (const wait of offered)
      expect(ELASTICACHE_WORST_CASE_WAITS.authToken * wait + 30).toBeLessThanOrEqual(900);
  });

  it.each([
    [
      'replication groups',
      { ElastiCacheReplicationGroupArns: GROUP },
      ELASTICACHE_WORST_CASE_WAITS.authToken,
    ],
    ['users only', { ElastiCacheUserArns: USER }, ELASTICACHE_WORST_CASE_WAITS.user],
    [
      'groups and users',
      { ElastiCacheReplicationGroupArns: GROUP, ElastiCacheUserArns: USER },
      ELASTICACHE_WORST_CASE_WAITS.authToken,
    ],
  ])(
    'with %s, every wait on offer and any Timeout, the function outlasts its worst case',
    (_label, arns, waits) => {
      for (const wait of template.Parameters?.ElastiCacheWaitSeconds?.AllowedValues ?? []) {
        for (const timeout of ['10', '360', '900']) {
          const seconds = redisTimeout({ ...arns, ElastiCacheWaitSeconds: String(wait), Timeout: timeout });
          expect(seconds, `wait ${String(wait)} s, Timeout ${timeout}`).toBe(waits * Number(wait) + 30);
        }
      }
    },
  );

  it('without ElastiCache the Redis function takes Timeout like the others', () => {
    expect(redisTimeout({ Timeout: '45' })).toBe(45);
    expect(redisTimeout({})).toBe(Number(template.Parameters?.Timeout?.Default));
  });
});
