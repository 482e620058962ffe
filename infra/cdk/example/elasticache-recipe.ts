/**
 * ElastiCache AUTH-token rotation without a circular dependency (infra/README.md, "The
 * ElastiCache recipe"). The rotated secret must hold the cluster's host, and the cluster
 * must be created with a token: taken literally, each needs the other first. The cycle
 * breaks with a second, bootstrap secret:
 *
 *   BootstrapToken (generated)  <-  ReplicationGroup (AuthToken: {{resolve:...}})
 *                                        <-  CacheToken (host from the group, password {{resolve:...}} of the bootstrap)
 *                                                <-  rotation schedule (ElastiCacheRotation)
 *
 * The first rotation ROTATEs the group to CacheToken's new token; from then on CacheToken
 * is the truth and BootstrapToken is stale. CloudFormation re-reads a dynamic reference
 * only when the property that holds it changes, so leave `AuthToken` and CacheToken's
 * `SecretString` alone in later template changes (a change would set the stale token back).
 */
import { Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as elasticache from 'aws-cdk-lib/aws-elasticache';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { SecretValue } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { ElastiCacheRotation } from '../src/kind-rotation.ts';

export const CACHE_PORT = 6379;

export interface ElastiCacheRecipe {
  readonly group: elasticache.CfnReplicationGroup;
  readonly bootstrapToken: secretsmanager.Secret;
  readonly cacheToken: secretsmanager.Secret;
  readonly rotation: ElastiCacheRotation;
}

export function elastiCacheWithRotatedToken(
  scope: Construct,
  vpc: ec2.IVpc,
  options: { readonly zipPath?: string } = {},
): ElastiCacheRecipe {
  const stack = Stack.of(scope);
  const cacheGroup = new ec2.SecurityGroup(scope, 'CacheSecurityGroup', { vpc, allowAllOutbound: false });
  const subnets = new elasticache.CfnSubnetGroup(scope, 'CacheSubnets', {
    description: 'Cache subnets',
    subnetIds: vpc.selectSubnets({ subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS }).subnetIds,
  });
  // ElastiCache tokens: 16-128 printable characters without spaces, " / or @.
  const bootstrapToken = new secretsmanager.Secret(scope, 'BootstrapToken', {
    description: 'First AUTH token of the cache; stale after the first rotation of CacheToken',
    generateSecretString: { passwordLength: 64, excludePunctuation: true },
  });
  const group = new elasticache.CfnReplicationGroup(scope, 'Cache', {
    replicationGroupDescription: 'Application cache',
    engine: 'redis',
    cacheNodeType: 'cache.t4g.small',
    numCacheClusters: 2,
    automaticFailoverEnabled: true,
    port: CACHE_PORT,
    transitEncryptionEnabled: true,
    atRestEncryptionEnabled: true,
    authToken: bootstrapToken.secretValue.unsafeUnwrap(),
    cacheSubnetGroupName: subnets.ref,
    securityGroupIds: [cacheGroup.securityGroupId],
  });
  const cacheToken = new secretsmanager.Secret(scope, 'CacheToken', {
    description: 'The cache AUTH token the application uses (rotated)',
    secretStringValue: SecretValue.unsafePlainText(
      stack.toJsonString({
        mode: 'elasticache-auth-token',
        replicationGroupId: group.ref,
        host: group.attrPrimaryEndPointAddress,
        port: CACHE_PORT,
        tls: true,
        password: bootstrapToken.secretValue.unsafeUnwrap(),
      }),
    ),
  });
  const rotation = new ElastiCacheRotation(scope, 'CacheTokenRotation', {
    secret: cacheToken,
    credential: 'auth-token',
    target: cacheGroup,
    port: CACHE_PORT,
    vpc,
    ...(options.zipPath ? { functionProps: { zipPath: options.zipPath } } : {}),
  });
  return { group, bootstrapToken, cacheToken, rotation };
}
