import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as rds from 'aws-cdk-lib/aws-rds';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { describe, expect, it } from 'vitest';
import { CACHE_PORT, elastiCacheWithRotatedToken } from '../../../infra/cdk/example/elasticache-recipe.ts';
import {
  ElastiCacheRotation,
  JwtRotation,
  PostgresSingleUserRotation,
  RedisAclRotation,
} from '../../../infra/cdk/src/kind-rotation.ts';
import { passwordEnvironmentOf } from '../../../infra/cdk/src/password-settings.ts';
import { RotationFunction } from '../../../infra/cdk/src/rotation-function.ts';
import { roleStatements, type CfnTemplate } from '../cfn-template.ts';
import { ACCOUNT, fakeZip, logicalId, newStack, REGION, templateOf } from './cdk-fixtures.ts';

function vpcIn(stack: ReturnType<typeof newStack>['stack']): ec2.IVpc {
  return new ec2.Vpc(stack, 'Vpc', { maxAzs: 2, natGateways: 1 });
}

/** Every Ref/GetAtt/DependsOn edge between resources; throws on a cycle (CloudFormation would refuse the stack). */
function assertAcyclic(json: CfnTemplate): void {
  const edges = new Map<string, Set<string>>();
  const collect = (from: string, value: unknown): void => {
    if (Array.isArray(value)) value.forEach((item) => collect(from, item));
    else if (value && typeof value === 'object') {
      for (const [key, inner] of Object.entries(value)) {
        if (key === 'Ref' && typeof inner === 'string' && json.Resources[inner]) edges.get(from)?.add(inner);
        else if (key === 'Fn::GetAtt' && Array.isArray(inner) && typeof inner[0] === 'string')
          edges.get(from)?.add(inner[0]);
        else collect(from, inner);
      }
    }
  };
  for (const [id, resource] of Object.entries(json.Resources)) {
    edges.set(id, new Set([resource.DependsOn ?? []].flat()));
    collect(id, resource.Properties);
  }
  const state = new Map<string, 'open' | 'done'>();
  const visit = (id: string, path: string[]): void => {
    if (state.get(id) === 'done') return;
    if (state.get(id) === 'open') throw new Error(`dependency cycle: ${[...path, id].join(' -> ')}`);
    state.set(id, 'open');
    for (const next of edges.get(id) ?? []) visit(next, [...path, id]);
    state.set(id, 'done');
  };
  for (const id of edges.keys()) visit(id, []);
}

describe('the one-line rotations', () => {
  it('are IConnectable and IGrantable and expose the function as an IFunction, as CDK code expects', () => {
    const { stack } = newStack();
    const vpc = vpcIn(stack);
    const db = new rds.DatabaseInstance(stack, 'Db', {
      engine: rds.DatabaseInstanceEngine.postgres({ version: rds.PostgresEngineVersion.VER_15 }),
      vpc,
    });
    const fn = new RotationFunction(stack, 'Fn', {
      kind: 'postgres',
      zipPath: fakeZip('postgres'),
      vpc,
      secretArnPatterns: [`arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:other-*`],
    });
    const secret = new secretsmanager.Secret(stack, 'Other');
    // The three calls the issue names; each is a type error unless the interfaces are implemented.
    db.connections.allowDefaultPortFrom(fn);
    secret.grantRead(fn);
    const rotation = new PostgresSingleUserRotation(stack, 'Rotation', {
      secret: new secretsmanager.Secret(stack, 'App'),
      target: db,
      vpc,
      functionProps: { zipPath: fakeZip('postgres') },
    });
    const lambdaFn: lambda.IFunction = rotation.function;
    expect(lambdaFn.functionArn).toBeDefined();
    expect(rotation.grantPrincipal).toBe(rotation.rotationFunction.role);
    expect(rotation.connections.securityGroups).toHaveLength(1);
    const { json } = templateOf(stack);
    const fnRole = logicalId(json, 'AWS::IAM::Role', 'FnRole');
    const defaultPolicy = Object.values(json.Resources).find(
      (r) => r.Type === 'AWS::IAM::Policy' && JSON.stringify(r.Properties?.['Roles']).includes(fnRole),
    );
    expect(JSON.stringify(defaultPolicy?.Properties)).toContain('secretsmanager:GetSecretValue');
  });

  it('grants an admin secret given as ISecret with its KMS key, decrypt only, and wires no VPC for JWT', () => {
    const { stack } = newStack();
    const vpc = vpcIn(stack);
    const adminKey = new kms.Key(stack, 'AdminKey');
    const admin = new secretsmanager.Secret(stack, 'Admin', { encryptionKey: adminKey });
    const cacheGroup = new ec2.SecurityGroup(stack, 'Cache', { vpc });
    new RedisAclRotation(stack, 'Redis', {
      secret: new secretsmanager.Secret(stack, 'App'),
      adminSecret: admin,
      target: cacheGroup,
      port: 6380,
      vpc,
      functionProps: { zipPath: fakeZip('redis') },
    });
    new JwtRotation(stack, 'Jwt', {
      secret: new secretsmanager.Secret(stack, 'Signing'),
      functionProps: { zipPath: fakeZip('jwt') },
    });
    const { json, template } = templateOf(stack);
    const statements = roleStatements(json, logicalId(json, 'AWS::IAM::Role', 'RedisRotationRole'));
    const adminRef = { Ref: logicalId(json, 'AWS::SecretsManager::Secret', 'Admin') };
    expect(statements.find((s) => s.Sid === 'ReadAdminSecrets')).toEqual({
      Sid: 'ReadAdminSecrets',
      Effect: 'Allow',
      Action: 'secretsmanager:GetSecretValue',
      Resource: adminRef,
    });
    expect(statements.find((s) => s.Sid === 'DecryptAdminSecretsThroughSecretsManager')).toEqual({
      Sid: 'DecryptAdminSecretsThroughSecretsManager',
      Effect: 'Allow',
      Action: 'kms:Decrypt',
      Resource: { 'Fn::GetAtt': [logicalId(json, 'AWS::KMS::Key', 'AdminKey'), 'Arn'] },
      Condition: {
        StringEquals: { 'kms:ViaService': `secretsmanager.${REGION}.amazonaws.com` },
        StringLike: { 'kms:EncryptionContext:SecretARN': [adminRef] },
      },
    });
    template.hasResourceProperties('AWS::EC2::SecurityGroupIngress', {
      IpProtocol: 'tcp',
      FromPort: 6380,
      ToPort: 6380,
      GroupId: { 'Fn::GetAtt': [logicalId(json, 'AWS::EC2::SecurityGroup', 'Cache'), 'GroupId'] },
    });
    const jwt = json.Resources[logicalId(json, 'AWS::Lambda::Function', 'JwtRotationFunction')];
    expect(jwt?.Properties?.['VpcConfig']).toBeUndefined();
    expect(
      JSON.stringify(json.Resources[logicalId(json, 'AWS::Lambda::Function', 'RedisRotationFunction')]),
    ).toContain('"REDIS_MODE":"acl"');
  });

  it('refuses a target without a default port unless a port is given, naming the prop', () => {
    const { stack } = newStack();
    const vpc = vpcIn(stack);
    expect(
      () =>
        new ElastiCacheRotation(stack, 'Cache', {
          secret: new secretsmanager.Secret(stack, 'App'),
          credential: 'auth-token',
          target: new ec2.SecurityGroup(stack, 'Group', { vpc }),
          vpc,
          functionProps: { zipPath: fakeZip('redis') },
        }),
    ).toThrow(/ElastiCacheRotation TestStack\/Cache: props\.port must be given .*received undefined/);
  });
});

describe('password settings of a generated secret', () => {
  it("passes the secret's own rules on, and nothing for a secret it cannot see into", () => {
    const { stack } = newStack();
    const generated = new secretsmanager.Secret(stack, 'Generated', {
      generateSecretString: {
        passwordLength: 40,
        excludeCharacters: '"@/\\',
        excludePunctuation: true,
        requireEachIncludedType: true,
      },
    });
    expect(passwordEnvironmentOf(generated)).toEqual({
      PASSWORD_LENGTH: '40',
      EXCLUDE_CHARACTERS: '"@/\\',
      EXCLUDE_PUNCTUATION: 'true',
      REQUIRE_EACH_INCLUDED_TYPE: 'true',
    });
    const imported = secretsmanager.Secret.fromSecretCompleteArn(
      stack,
      'Imported',
      `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:prod/app-AbCdEf`,
    );
    expect(passwordEnvironmentOf(imported)).toEqual({});
  });
});

describe('the ElastiCache recipe', () => {
  it('synthesises without a dependency cycle: bootstrap token, then the group, then the rotated secret and its schedule', () => {
    const { stack } = newStack();
    const vpc = vpcIn(stack);
    elastiCacheWithRotatedToken(stack, vpc, { zipPath: fakeZip('redis') });
    const { json, template } = templateOf(stack);
    assertAcyclic(json);
    const group = logicalId(json, 'AWS::ElastiCache::ReplicationGroup', 'Cache');
    const bootstrap = logicalId(json, 'AWS::SecretsManager::Secret', 'BootstrapToken');
    const cacheToken = logicalId(json, 'AWS::SecretsManager::Secret', 'CacheToken');
    const groupText = JSON.stringify(json.Resources[group]);
    expect(groupText).toContain(`{"Ref":"${bootstrap}"}`);
    expect(groupText).toContain('{{resolve:secretsmanager:');
    const tokenText = JSON.stringify(json.Resources[cacheToken]);
    expect(tokenText).toContain(`"Fn::GetAtt":["${group}","PrimaryEndPoint.Address"]`);
    template.hasResourceProperties('AWS::SecretsManager::RotationSchedule', {
      SecretId: { Ref: cacheToken },
    });
    template.hasResourceProperties('AWS::EC2::SecurityGroupIngress', {
      FromPort: CACHE_PORT,
      ToPort: CACHE_PORT,
    });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: { REDIS_MODE: 'elasticache-auth-token' } },
    });
  });
});
