import { ProgressTag } from '../../../shared/rotation-progress.ts';
import { Duration } from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as sns from 'aws-cdk-lib/aws-sns';
import { describe, expect, it } from 'vitest';
import { RotationFunction, type RotationFunctionProps } from '../../../infra/cdk/src/rotation-function.ts';
import type { RotationKind } from '../../../infra/cdk/src/permissions.ts';
import { actionsOf, roleStatements } from '../cfn-template.ts';
import { ACCOUNT, fakeZip, logicalId, newStack, REGION, templateOf } from './cdk-fixtures.ts';
import { LAMBDA_NODE_OPTIONS } from '../../../infra/cdk/src/node-options.ts';
import { ELASTICACHE_WORST_CASE_WAITS as CDK_WORST_CASE_WAITS } from '../../../infra/cdk/src/elasticache-timeout.ts';
import { ELASTICACHE_WORST_CASE_WAITS } from '../../../functions/redis/elasticache-modes.ts';

const SECRET = `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:prod/app-AbCdEf`;
const ADMIN = `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:prod/admin-GhIjKl`;
const KEY = `arn:aws:kms:${REGION}:${ACCOUNT}:key/1111-2222`;
const ADMIN_KEY = `arn:aws:kms:${REGION}:${ACCOUNT}:key/3333-4444`;
const DB = `arn:aws:rds:${REGION}:${ACCOUNT}:db:main`;

function build(kind: RotationKind, extra: Partial<RotationFunctionProps> = {}) {
  const { stack } = newStack();
  const fn = new RotationFunction(stack, 'Rotation', {
    kind,
    zipPath: fakeZip(kind),
    secretArnPatterns: [SECRET],
    ...extra,
  });
  const { template, json } = templateOf(stack);
  const roleId = logicalId(json, 'AWS::IAM::Role', 'RotationRole');
  const functionId = logicalId(json, 'AWS::Lambda::Function', 'RotationFunction');
  return { stack, fn, template, json, roleId, functionId };
}

const fnArn = (functionId: string) => ({ 'Fn::GetAtt': [functionId, 'Arn'] });

describe('RotationFunction', () => {
  it('creates an arm64 nodejs22.x function from the zip with its own role and log group', () => {
    const { template, roleId } = build('jwt');
    template.hasResourceProperties('AWS::Lambda::Function', {
      Runtime: 'nodejs22.x',
      Architectures: ['arm64'],
      Handler: 'index.handler',
      MemorySize: 256,
      Timeout: 360,
      Role: { 'Fn::GetAtt': [roleId, 'Arn'] },
      LoggingConfig: { LogGroup: { Ref: Match.stringLikeRegexp('^RotationLogGroup') } },
      Environment: {
        Variables: {
          NODE_OPTIONS: LAMBDA_NODE_OPTIONS,
          POWERTOOLS_LOG_LEVEL: 'INFO',
          POWERTOOLS_METRICS_NAMESPACE: 'SecretsRotation',
        },
      },
    });
    template.resourceCountIs('AWS::Lambda::Function', 1);
    template.resourceCountIs('AWS::IAM::Role', 1);
    template.hasResourceProperties('AWS::IAM::Role', { ManagedPolicyArns: Match.absent() });
  });

  it('grants the jwt function exactly the rotation, untag and log actions, on exactly its resources', () => {
    const { json, roleId, functionId } = build('jwt');
    const statements = roleStatements(json, roleId);
    const onlyThisFunction = {
      StringEquals: { 'secretsmanager:resource/AllowRotationLambdaArn': fnArn(functionId) },
    };
    expect(statements).toEqual([
      {
        Sid: 'WriteOwnLogs',
        Effect: 'Allow',
        Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        Resource: { 'Fn::GetAtt': [expect.stringMatching(/^RotationLogGroup/), 'Arn'] },
      },
      {
        Sid: 'RotateSecretsThatNameThisFunction',
        Effect: 'Allow',
        Action: [
          'secretsmanager:DescribeSecret',
          'secretsmanager:GetSecretValue',
          'secretsmanager:PutSecretValue',
          'secretsmanager:UpdateSecretVersionStage',
        ],
        Resource: SECRET,
        Condition: onlyThisFunction,
      },
      {
        Sid: 'ClearEmergencyTag',
        Effect: 'Allow',
        Action: 'secretsmanager:UntagResource',
        Resource: SECRET,
        Condition: { ...onlyThisFunction, 'ForAllValues:StringEquals': { 'aws:TagKeys': ['RotationMode'] } },
      },
      {
        Sid: 'RecordReplicaStatus',
        Effect: 'Allow',
        Action: 'secretsmanager:TagResource',
        Resource: SECRET,
        Condition: {
          ...onlyThisFunction,
          'ForAllValues:StringEquals': { 'aws:TagKeys': ['RotationReplicas'] },
        },
      },
      {
        Sid: 'RecordRotationProgress',
        Effect: 'Allow',
        Action: 'secretsmanager:TagResource',
        Resource: SECRET,
        Condition: {
          ...onlyThisFunction,
          'ForAllValues:StringEquals': { 'aws:TagKeys': Object.values(ProgressTag) },
        },
      },
    ]);
  });

  it('lets the function read (DescribeSecret only) secrets in the replica Regions it is given, and nowhere else', () => {
    const without = build('postgres', {});
    expect(roleStatements(without.json, without.roleId).map((s) => s.Sid)).not.toContain(
      'ReadReplicaRegions',
    );
    const { json, roleId } = build('postgres', { replicaRegions: ['us-west-2', 'eu-central-1'] });
    const statement = roleStatements(json, roleId).find((s) => s.Sid === 'ReadReplicaRegions');
    expect(statement).toEqual({
      Sid: 'ReadReplicaRegions',
      Effect: 'Allow',
      Action: 'secretsmanager:DescribeSecret',
      Resource: expect.objectContaining({
        'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':secretsmanager:*:123456789012:secret:*']],
      }),
      Condition: { StringEquals: { 'aws:RequestedRegion': ['us-west-2', 'eu-central-1'] } },
    });
  });

  it('rejects a replica Region that is not a Region name', () => {
    expect(() => build('jwt', { replicaRegions: ['us west 2'] })).toThrow(
      /props\.replicaRegions must be a list of Region names such as us-west-2; received "us west 2"/,
    );
  });

  it('grants the postgres function passwords, admin secrets, RDS describes and opt-in break-glass, with KMS only via Secrets Manager for its secrets', () => {
    const { json, roleId, template } = build('postgres', {
      adminSecretArnPatterns: [ADMIN],
      kmsKeyArns: [KEY],
      adminKmsKeyArns: [ADMIN_KEY],
      breakGlassResourceArns: [DB],
    });
    const bySid = Object.fromEntries(roleStatements(json, roleId).map((s) => [s.Sid, s]));
    // The password-reuse check lists deprecated versions: same secrets, same condition as the rotation itself.
    expect(bySid.RotateSecretsThatNameThisFunction).toMatchObject({
      Action: [
        'secretsmanager:DescribeSecret',
        'secretsmanager:GetSecretValue',
        'secretsmanager:PutSecretValue',
        'secretsmanager:UpdateSecretVersionStage',
        'secretsmanager:ListSecretVersionIds',
      ],
      Resource: SECRET,
      Condition: {
        StringEquals: {
          'secretsmanager:resource/AllowRotationLambdaArn': { 'Fn::GetAtt': [expect.any(String), 'Arn'] },
        },
      },
    });
    expect(Object.keys(bySid).sort()).toEqual(
      [
        'BreakGlassResetMasterPassword',
        'ClearEmergencyTag',
        'RecordReplicaStatus',
        'DecryptAdminSecretsThroughSecretsManager',
        'RecordRotationProgress',
        'DescribeDatabases',
        'GeneratePasswords',
        'ReadAdminSecrets',
        'RotateSecretsThatNameThisFunction',
        'UseSecretsKeyThroughSecretsManager',
        'WriteOwnLogs',
      ].sort(),
    );
    expect(bySid.GeneratePasswords).toMatchObject({
      Action: 'secretsmanager:GetRandomPassword',
      Resource: '*',
    });
    expect(bySid.ReadAdminSecrets).toMatchObject({
      Action: ['secretsmanager:DescribeSecret', 'secretsmanager:GetSecretValue'],
      Resource: ADMIN,
    });
    // Describe: the break-glass databases only (no rdsResourceArns here); never db:* (issue 14).
    expect(bySid.DescribeDatabases).toEqual({
      Sid: 'DescribeDatabases',
      Effect: 'Allow',
      Action: ['rds:DescribeDBInstances', 'rds:DescribeDBClusters'],
      Resource: DB,
    });
    expect(bySid.BreakGlassResetMasterPassword).toEqual({
      Sid: 'BreakGlassResetMasterPassword',
      Effect: 'Allow',
      Action: ['rds:ModifyDBInstance', 'rds:ModifyDBCluster'],
      Resource: DB,
      Condition: { BoolIfExists: { 'rds:ManageMasterUserPassword': 'false' } },
    });
    expect(bySid.UseSecretsKeyThroughSecretsManager).toEqual({
      Sid: 'UseSecretsKeyThroughSecretsManager',
      Effect: 'Allow',
      Action: ['kms:Decrypt', 'kms:GenerateDataKey'],
      Resource: KEY,
      Condition: {
        StringEquals: { 'kms:ViaService': `secretsmanager.${REGION}.amazonaws.com` },
        StringLike: { 'kms:EncryptionContext:SecretARN': [SECRET] },
      },
    });
    // The admin secret is only read: its key decrypts, and only for the admin secret.
    expect(bySid.DecryptAdminSecretsThroughSecretsManager).toEqual({
      Sid: 'DecryptAdminSecretsThroughSecretsManager',
      Effect: 'Allow',
      Action: 'kms:Decrypt',
      Resource: ADMIN_KEY,
      Condition: {
        StringEquals: { 'kms:ViaService': `secretsmanager.${REGION}.amazonaws.com` },
        StringLike: { 'kms:EncryptionContext:SecretARN': [ADMIN] },
      },
    });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({
          PG_BREAK_GLASS: 'true',
          PG_BREAK_GLASS_RESOURCE_ARNS: DB,
          PG_RDS_RESOURCE_ARNS: '',
        }),
      },
    });
  });

  it('describes exactly the named RDS databases, and puts the tag condition on break-glass only', () => {
    const cluster = `arn:aws:rds:${REGION}:${ACCOUNT}:cluster:aurora`;
    const { json, roleId, template } = build('postgres', {
      rdsResourceArns: [cluster],
      breakGlassResourceArns: [DB],
      targetTag: { key: 'team', value: 'payments' },
    });
    const bySid = Object.fromEntries(roleStatements(json, roleId).map((s) => [s.Sid, s]));
    expect(bySid.DescribeDatabases).toEqual({
      Sid: 'DescribeDatabases',
      Effect: 'Allow',
      Action: ['rds:DescribeDBInstances', 'rds:DescribeDBClusters'],
      Resource: [cluster, DB],
    });
    expect(bySid.BreakGlassResetMasterPassword?.Condition).toEqual({
      BoolIfExists: { 'rds:ManageMasterUserPassword': 'false' },
      StringEquals: { 'aws:ResourceTag/team': 'payments' },
    });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({ PG_RDS_RESOURCE_ARNS: cluster, PG_BREAK_GLASS_RESOURCE_ARNS: DB }),
      },
    });
  });

  it('refuses RDS ARNs that are not instances or clusters, a tag key of AWS, and RDS lists for another kind', () => {
    expect(() =>
      build('postgres', { rdsResourceArns: [`arn:aws:rds:${REGION}:${ACCOUNT}:db:*`] }),
    ).not.toThrow();
    expect(() =>
      build('postgres', { rdsResourceArns: [`arn:aws:rds:${REGION}:${ACCOUNT}:snapshot:s`] }),
    ).toThrow(
      /props.rdsResourceArns\/breakGlassResourceArns must be RDS instance \(:db:\) or cluster \(:cluster:\) ARNs/,
    );
    expect(() => build('redis', { rdsResourceArns: [DB] })).toThrow(
      /props.rdsResourceArns must be empty for the redis kind/,
    );
    expect(() =>
      build('postgres', { targetTag: { key: 'aws:cloudformation:stack-name', value: 'x' } }),
    ).toThrow(/props.targetTag must be a tag key/);
  });

  it('bounds the Redis ElastiCache wait below the function timeout unless the environment overrides it', () => {
    build('redis').template.hasResourceProperties('AWS::Lambda::Function', {
      Timeout: 360,
      Environment: { Variables: Match.objectLike({ MAX_WAITING_TIME_FOR_ACTIVE_IN_SECONDS: '240' }) },
    });
    build('redis', {
      environment: { MAX_WAITING_TIME_FOR_ACTIVE_IN_SECONDS: '120' },
    }).template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ MAX_WAITING_TIME_FOR_ACTIVE_IN_SECONDS: '120' }) },
    });
  });

  it('sizes the timeout of a function rotating ElastiCache to the worst case of its waits by default', () => {
    // Groups: 3 waits (available, after a recovering SET, after ROTATE); users only: 2; + 30 s.
    build('redis', { elastiCacheReplicationGroupIds: ['prod-rg'] }).template.hasResourceProperties(
      'AWS::Lambda::Function',
      { Timeout: 3 * 240 + 30 },
    );
    build('redis', { elastiCacheUserIds: ['app-user'] }).template.hasResourceProperties(
      'AWS::Lambda::Function',
      { Timeout: 2 * 240 + 30 },
    );
    build('redis', {
      elastiCacheUserIds: ['app-user'],
      environment: { MAX_WAITING_TIME_FOR_ACTIVE_IN_SECONDS: '60' },
    }).template.hasResourceProperties('AWS::Lambda::Function', { Timeout: 360 });
  });

  it('refuses at synth a timeout shorter than the worst case of the ElastiCache waits, naming the props', () => {
    expect(() =>
      build('redis', { elastiCacheReplicationGroupIds: ['prod-rg'], timeout: Duration.minutes(6) }),
    ).toThrow(
      'props.timeout must be at least 750 seconds: 3 bounded ElastiCache waits (props.elastiCacheReplicationGroupIds given) of 240 s (the default MAX_WAITING_TIME_FOR_ACTIVE_IN_SECONDS=240) plus 30 s; raise the timeout or lower the wait; received "6 minutes"',
    );
    expect(() =>
      build('redis', {
        elastiCacheUserIds: ['app-user'],
        environment: { ELASTICACHE_WAIT_TIMEOUT_MS: '200000' },
        timeout: Duration.seconds(429),
      }),
    ).toThrow(/props.timeout must be at least 430 seconds: .*props.environment.ELASTICACHE_WAIT_TIMEOUT_MS/);
    expect(() =>
      build('redis', {
        elastiCacheReplicationGroupIds: ['prod-rg'],
        environment: { MAX_WAITING_TIME_FOR_ACTIVE_IN_SECONDS: '600' },
      }),
    ).toThrow(
      /props.environment must be an ElastiCache wait whose worst case fits Lambda's 15 minutes: .* is 1830 s/,
    );
    // Enough time, or no ElastiCache to wait for: accepted as given.
    build('redis', {
      elastiCacheReplicationGroupIds: ['prod-rg'],
      environment: { MAX_WAITING_TIME_FOR_ACTIVE_IN_SECONDS: '110' },
      timeout: Duration.seconds(360),
    }).template.hasResourceProperties('AWS::Lambda::Function', { Timeout: 360 });
    build('redis', { timeout: Duration.seconds(30) }).template.hasResourceProperties(
      'AWS::Lambda::Function',
      {
        Timeout: 30,
      },
    );
  });

  it('counts the waits as the function does', () => {
    expect(CDK_WORST_CASE_WAITS).toEqual(ELASTICACHE_WORST_CASE_WAITS);
  });

  it('leaves RDS, break-glass, admin secrets and KMS out of the postgres function unless asked for', () => {
    const { json, roleId, template } = build('postgres');
    const sids = roleStatements(json, roleId).map((s) => s.Sid);
    expect(
      roleStatements(json, roleId)
        .flatMap(actionsOf)
        .filter((a) => a.startsWith('rds:')),
    ).toEqual([]);
    expect(sids).not.toContain('BreakGlassResetMasterPassword');
    expect(sids).not.toContain('ReadAdminSecrets');
    expect(sids).not.toContain('UseSecretsKeyThroughSecretsManager');
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ PG_BREAK_GLASS: Match.absent() }) },
    });
  });

  it('grants the redis function no ElastiCache permission unless groups or users are named', () => {
    const { json, roleId, template } = build('redis', { adminSecretArnPatterns: [ADMIN] });
    const statements = roleStatements(json, roleId);
    const actions = statements.flatMap(actionsOf);
    expect(actions.filter((a) => a.startsWith('elasticache:') || a.startsWith('rds:'))).toEqual([]);
    expect(statements.find((s) => s.Sid === 'ReadAdminSecrets')).toMatchObject({
      Action: 'secretsmanager:GetSecretValue',
      Resource: ADMIN,
    });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({ ELASTICACHE_REPLICATION_GROUP_IDS: '', ELASTICACHE_USER_IDS: '' }),
      },
    });
  });

  it('grants the ElastiCache credential actions on exactly the named groups and users, and tells the function', () => {
    const { json, roleId, template } = build('redis', {
      elastiCacheReplicationGroupIds: ['prod-rg', 'cache-2'],
      elastiCacheUserIds: ['app-user'],
    });
    const statements = roleStatements(json, roleId);
    const arn = (resource: string) => ({
      'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:elasticache:${REGION}:${ACCOUNT}:${resource}`]],
    });
    const groups = [arn('replicationgroup:prod-rg'), arn('replicationgroup:cache-2')];
    expect(statements.find((s) => s.Sid === 'DescribeElastiCacheReplicationGroups')).toEqual({
      Sid: 'DescribeElastiCacheReplicationGroups',
      Effect: 'Allow',
      Action: 'elasticache:DescribeReplicationGroups',
      Resource: groups,
    });
    expect(statements.find((s) => s.Sid === 'RotateElastiCacheAuthTokens')).toEqual({
      Sid: 'RotateElastiCacheAuthTokens',
      Effect: 'Allow',
      Action: 'elasticache:ModifyReplicationGroup',
      Resource: groups,
    });
    expect(statements.find((s) => s.Sid === 'DescribeElastiCacheUsers')).toEqual({
      Sid: 'DescribeElastiCacheUsers',
      Effect: 'Allow',
      Action: 'elasticache:DescribeUsers',
      Resource: arn('user:app-user'),
    });
    // ModifyUser stays on password authentication (it cannot be kept from changing access strings).
    expect(statements.find((s) => s.Sid === 'RotateElastiCacheUsers')).toEqual({
      Sid: 'RotateElastiCacheUsers',
      Effect: 'Allow',
      Action: 'elasticache:ModifyUser',
      Resource: arn('user:app-user'),
      Condition: { StringEqualsIfExists: { 'elasticache:UserAuthenticationMode': 'password' } },
    });
    expect(JSON.stringify(statements)).not.toContain(':*');
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({
          ELASTICACHE_REPLICATION_GROUP_IDS: 'prod-rg,cache-2',
          ELASTICACHE_USER_IDS: 'app-user',
        }),
      },
    });
  });

  it('puts the tag condition on the ElastiCache Modify actions only', () => {
    const { json, roleId } = build('redis', {
      elastiCacheReplicationGroupIds: ['prod-rg'],
      elastiCacheUserIds: ['app-user'],
      targetTag: { key: 'SecretsRotationTarget', value: 'cache' },
    });
    const bySid = Object.fromEntries(roleStatements(json, roleId).map((s) => [s.Sid, s]));
    const tag = { 'aws:ResourceTag/SecretsRotationTarget': 'cache' };
    expect(bySid.RotateElastiCacheAuthTokens?.Condition).toEqual({ StringEquals: tag });
    expect(bySid.RotateElastiCacheUsers?.Condition).toEqual({
      StringEqualsIfExists: { 'elasticache:UserAuthenticationMode': 'password' },
      StringEquals: tag,
    });
    expect(bySid.DescribeElastiCacheReplicationGroups?.Condition).toBeUndefined();
    expect(bySid.DescribeElastiCacheUsers?.Condition).toBeUndefined();
  });

  it('refuses ElastiCache ids for another kind, and ids that are not ids', () => {
    expect(() => build('postgres', { elastiCacheUserIds: ['u'] })).toThrow(
      /props.elastiCacheUserIds must be empty for the postgres kind/,
    );
    expect(() => build('redis', { elastiCacheReplicationGroupIds: ['*'] })).toThrow(
      /props.elastiCacheReplicationGroupIds must be a list of ElastiCache ids/,
    );
  });

  it('keeps the function ARN out of the role so the function does not depend on its own policy', () => {
    const { json, roleId, functionId } = build('postgres');
    const policyId = logicalId(json, 'AWS::IAM::Policy', 'RotationRotationPolicy');
    expect(json.Resources[policyId]?.Properties?.Roles).toEqual([{ Ref: roleId }]);
    expect(JSON.stringify(json.Resources[roleId])).not.toContain(functionId);
    expect(JSON.stringify(json.Resources[functionId]?.DependsOn ?? [])).not.toContain(policyId);
  });

  it('lets only secretsmanager.amazonaws.com from this account invoke the function', () => {
    const { template, functionId } = build('jwt');
    template.resourceCountIs('AWS::Lambda::Permission', 1);
    template.hasResourceProperties('AWS::Lambda::Permission', {
      FunctionName: fnArn(functionId),
      Action: 'lambda:InvokeFunction',
      Principal: 'secretsmanager.amazonaws.com',
      SourceAccount: ACCOUNT,
    });
  });

  it('adds ENI permissions and the VPC configuration only with a VPC', () => {
    const { stack } = newStack();
    const vpc = ec2.Vpc.fromVpcAttributes(stack, 'Vpc', {
      vpcId: 'vpc-1',
      availabilityZones: ['eu-west-1a'],
      privateSubnetIds: ['subnet-1'],
    });
    new RotationFunction(stack, 'Rotation', {
      kind: 'redis',
      zipPath: fakeZip('redis'),
      secretArnPatterns: [SECRET],
      vpc,
    });
    const { template, json } = templateOf(stack);
    template.hasResourceProperties('AWS::Lambda::Function', {
      VpcConfig: { SubnetIds: ['subnet-1'], SecurityGroupIds: Match.anyValue() },
    });
    const eni = roleStatements(json, logicalId(json, 'AWS::IAM::Role', 'RotationRole')).find(
      (s) => s.Sid === 'ManageVpcNetworkInterfaces',
    );
    expect(eni).toMatchObject({ Resource: '*' });
    expect(actionsOf(eni ?? { Effect: '', Action: [], Resource: '' }).sort()).toEqual([
      'ec2:AssignPrivateIpAddresses',
      'ec2:CreateNetworkInterface',
      'ec2:DeleteNetworkInterface',
      'ec2:DescribeNetworkInterfaces',
      'ec2:DescribeSubnets',
      'ec2:UnassignPrivateIpAddresses',
    ]);
    const plain = build('redis');
    expect(roleStatements(plain.json, plain.roleId).some((s) => s.Sid === 'ManageVpcNetworkInterfaces')).toBe(
      false,
    );
  });

  it('alarms on function errors and on RotationFailed of its kind when given a topic', () => {
    const { stack } = newStack();
    const topic = sns.Topic.fromTopicArn(stack, 'Topic', `arn:aws:sns:${REGION}:${ACCOUNT}:alarms`);
    new RotationFunction(stack, 'Rotation', {
      kind: 'postgres',
      zipPath: fakeZip('postgres'),
      secretArnPatterns: [SECRET],
      alarmTopic: topic,
      metricsNamespace: 'Team/Rotation',
    });
    const { template } = templateOf(stack);
    template.resourceCountIs('AWS::CloudWatch::Alarm', 2);
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/Lambda',
      MetricName: 'Errors',
      AlarmActions: [topic.topicArn],
      Threshold: 1,
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Metrics: [
        {
          Id: 'failed',
          Expression: `SELECT SUM(RotationFailed) FROM "Team/Rotation" WHERE kind = 'postgres'`,
          Period: 300,
          ReturnData: true,
        },
      ],
      AlarmActions: [topic.topicArn],
    });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ POWERTOOLS_METRICS_NAMESPACE: 'Team/Rotation' }) },
    });
  });

  it('refuses to synthesise a function with no secret to rotate, naming the fix', () => {
    const { stack } = newStack();
    new RotationFunction(stack, 'Lonely', { kind: 'jwt', zipPath: fakeZip('jwt') });
    expect(() => templateOf(stack)).toThrow(
      /RotationFunction TestStack\/Lonely: no secret to rotate; pass props.secretArnPatterns or call attachRotation/,
    );
  });

  it.each([
    [
      { kind: 'mysql' },
      'RotationFunction Bad: props.kind must be one of jwt, postgres, redis; received "mysql"',
    ],
    [{ memorySize: 64 }, 'props.memorySize must be an integer from 128 to 10240 (MB); received 64'],
    [
      { timeout: Duration.minutes(20) },
      'props.timeout must be from 10 seconds to 15 minutes; received "20 minutes"',
    ],
    [
      { zipPath: '/nonexistent/jwt.zip' },
      'props.zipPath must be an existing .zip file (run `npm run build`); received "/nonexistent/jwt.zip"',
    ],
    [
      { adminSecretArnPatterns: [ADMIN] },
      `props.adminSecretArnPatterns must be empty for the jwt kind (it reads no admin secret); received ["${ADMIN}"]`,
    ],
    [
      { breakGlassResourceArns: [DB] },
      'props.breakGlassResourceArns must be empty for the jwt kind (break-glass is PostgreSQL only)',
    ],
    [
      { secretArnPatterns: ['prod/app'] },
      'props.secretArnPatterns must be a list of secretsmanager ARNs; received "prod/app"',
    ],
    [{ kmsKeyArns: [SECRET] }, `props.kmsKeyArns must be a list of kms ARNs; received "${SECRET}"`],
    [
      { secretsManagerEndpoint: 'vpce-123.secretsmanager' },
      'props.secretsManagerEndpoint must be an http(s) URL; received "vpce-123.secretsmanager"',
    ],
    [
      { environment: { PG_BREAK_GLASS: 'true' } },
      'props.environment must be free of NODE_OPTIONS, SECRETS_MANAGER_ENDPOINT, POWERTOOLS_LOG_LEVEL, POWERTOOLS_METRICS_NAMESPACE, PG_BREAK_GLASS, PG_RDS_RESOURCE_ARNS, PG_BREAK_GLASS_RESOURCE_ARNS, ELASTICACHE_REPLICATION_GROUP_IDS, ELASTICACHE_USER_IDS (set through their own props); received "PG_BREAK_GLASS"',
    ],
    [
      { environment: { AWS_REGION: 'x' } },
      'props.environment must be free of AWS_* names (reserved by Lambda); received "AWS_REGION"',
    ],
    [{ logLevel: 'TRACE' }, 'props.logLevel must be one of DEBUG, INFO, WARN, ERROR; received "TRACE"'],
  ] as const)('rejects %o with a message naming the prop and the value', (bad, message) => {
    const { stack } = newStack();
    const props = {
      kind: 'jwt',
      zipPath: fakeZip('jwt'),
      secretArnPatterns: [SECRET],
      ...bad,
    } as unknown as RotationFunctionProps;
    expect(() => new RotationFunction(stack, 'Bad', props)).toThrow(message);
  });

  it('rejects security groups without a VPC', () => {
    const { stack } = newStack();
    const sg = ec2.SecurityGroup.fromSecurityGroupId(stack, 'Sg', 'sg-1');
    expect(
      () =>
        new RotationFunction(stack, 'Bad', {
          kind: 'redis',
          zipPath: fakeZip('redis'),
          securityGroups: [sg],
        }),
    ).toThrow(
      'RotationFunction Bad: props.vpc must be given when vpcSubnets or securityGroups are; received undefined',
    );
  });
});
