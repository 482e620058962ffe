import { ProgressTag } from '../../shared/rotation-progress.ts';
import { execFile } from 'node:child_process';
import { readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { SSL_MODES } from '../../functions/postgres/tls-settings.ts';
import { AlternatingNaming, PostgresStrategyName } from '../../functions/postgres/postgres-config.ts';
import { REDIS_MODES } from '../../functions/redis/redis-mode.ts';
import {
  loadCfnYaml,
  possibleStatements,
  roleActions,
  roleStatements,
  statementConditions,
  actionsOf,
  type CfnTemplate,
  type PolicyStatement,
} from './cfn-template.ts';
import { LAMBDA_NODE_OPTIONS } from '../../infra/cdk/src/node-options.ts';

const rootDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const templatePath = path.join(rootDir, 'infra/template.yaml');
const run = promisify(execFile);

const KINDS = [
  { kind: 'jwt', id: 'Jwt' },
  { kind: 'postgres', id: 'Postgres' },
  { kind: 'redis', id: 'Redis' },
] as const;

const ROTATE = [
  'secretsmanager:DescribeSecret',
  'secretsmanager:GetSecretValue',
  'secretsmanager:PutSecretValue',
  'secretsmanager:UpdateSecretVersionStage',
];
/** PostgreSQL also lists deprecated versions for its password-reuse check. */
const ROTATE_WITH_HISTORY = [
  'secretsmanager:DescribeSecret',
  'secretsmanager:GetSecretValue',
  'secretsmanager:ListSecretVersionIds',
  'secretsmanager:PutSecretValue',
  'secretsmanager:UpdateSecretVersionStage',
];
const LOGS = ['logs:CreateLogStream', 'logs:PutLogEvents'];
const ENI = [
  'ec2:AssignPrivateIpAddresses',
  'ec2:CreateNetworkInterface',
  'ec2:DeleteNetworkInterface',
  'ec2:DescribeNetworkInterfaces',
  'ec2:DescribeSubnets',
  'ec2:UnassignPrivateIpAddresses',
];
const KMS = ['kms:Decrypt', 'kms:GenerateDataKey'];

/** Every statement each function's role can hold: Sid -> [actions, the template condition that adds it]. */
const EXPECTED: Record<string, Record<string, [string[], string | undefined]>> = {
  // No ENI statement: the JWT function has no network target and never runs in the VPC.
  Jwt: {
    WriteOwnLogs: [LOGS, undefined],
    RotateSecretsThatNameThisFunction: [ROTATE, undefined],
    ClearEmergencyTag: [['secretsmanager:UntagResource'], undefined],
    RecordReplicaStatus: [['secretsmanager:TagResource'], undefined],
    RecordRotationProgress: [['secretsmanager:TagResource'], undefined],
    ReadReplicaRegions: [['secretsmanager:DescribeSecret'], 'HasReplicaRegions'],
    UseSecretsKeyThroughSecretsManager: [KMS, 'HasJwtKmsKeys'],
  },
  Postgres: {
    WriteOwnLogs: [LOGS, undefined],
    ManageVpcNetworkInterfaces: [ENI, 'HasVpc'],
    RotateSecretsThatNameThisFunction: [ROTATE_WITH_HISTORY, undefined],
    ClearEmergencyTag: [['secretsmanager:UntagResource'], undefined],
    RecordReplicaStatus: [['secretsmanager:TagResource'], undefined],
    RecordRotationProgress: [['secretsmanager:TagResource'], undefined],
    ReadReplicaRegions: [['secretsmanager:DescribeSecret'], 'HasReplicaRegions'],
    GeneratePasswords: [['secretsmanager:GetRandomPassword'], undefined],
    ReadAdminSecrets: [
      ['secretsmanager:DescribeSecret', 'secretsmanager:GetSecretValue'],
      'HasPostgresAdminSecrets',
    ],
    DescribeDatabases: [['rds:DescribeDBClusters', 'rds:DescribeDBInstances'], 'PostgresDescribesRds'],
    BreakGlassResetMasterPassword: [
      ['rds:ModifyDBCluster', 'rds:ModifyDBInstance'],
      'PostgresBreakGlassEnabled',
    ],
    UseSecretsKeyThroughSecretsManager: [KMS, 'HasPostgresKmsKeys'],
    DecryptAdminSecretsThroughSecretsManager: [['kms:Decrypt'], 'HasPostgresAdminKmsKeys'],
  },
  Redis: {
    WriteOwnLogs: [LOGS, undefined],
    ManageVpcNetworkInterfaces: [ENI, 'HasVpc'],
    RotateSecretsThatNameThisFunction: [ROTATE, undefined],
    ClearEmergencyTag: [['secretsmanager:UntagResource'], undefined],
    RecordReplicaStatus: [['secretsmanager:TagResource'], undefined],
    RecordRotationProgress: [['secretsmanager:TagResource'], undefined],
    ReadReplicaRegions: [['secretsmanager:DescribeSecret'], 'HasReplicaRegions'],
    GeneratePasswords: [['secretsmanager:GetRandomPassword'], undefined],
    ReadAdminSecrets: [['secretsmanager:GetSecretValue'], 'HasRedisAdminSecrets'],
    DescribeElastiCacheReplicationGroups: [['elasticache:DescribeReplicationGroups'], 'HasElastiCacheGroups'],
    RotateElastiCacheAuthTokens: [['elasticache:ModifyReplicationGroup'], 'HasElastiCacheGroups'],
    DescribeElastiCacheUsers: [['elasticache:DescribeUsers'], 'HasElastiCacheUsers'],
    RotateElastiCacheUsers: [['elasticache:ModifyUser'], 'HasElastiCacheUsers'],
    UseSecretsKeyThroughSecretsManager: [KMS, 'HasRedisKmsKeys'],
    DecryptAdminSecretsThroughSecretsManager: [['kms:Decrypt'], 'HasRedisAdminKmsKeys'],
  },
};

/** Sid -> [sorted actions, guarding condition] as the template has it. */
function statementTable(template: CfnTemplate, id: string): Record<string, [string[], string | undefined]> {
  const role = template.Resources[`${id}Role`];
  const policy = template.Resources[`${id}RotationPolicy`];
  const raw = [
    ...((role?.Properties?.Policies ?? []) as { PolicyDocument: { Statement: unknown[] } }[]).flatMap(
      (p) => p.PolicyDocument.Statement,
    ),
    ...((policy?.Properties?.PolicyDocument as { Statement: unknown[] }).Statement ?? []),
  ];
  const guards = statementConditions(raw);
  const table: Record<string, [string[], string | undefined]> = {};
  for (const statement of possibleStatements(raw)) {
    expect(statement.Sid, 'every statement has a Sid').toBeDefined();
    expect(table[statement.Sid ?? ''], `Sid ${statement.Sid} is unique`).toBeUndefined();
    table[statement.Sid ?? ''] = [[...actionsOf(statement)].sort(), guards.get(statement.Sid)];
  }
  return table;
}

describe('SAM template (infra/template.yaml)', () => {
  let template: CfnTemplate;

  beforeAll(async () => {
    template = await loadCfnYaml(templatePath);
  });

  it('declares the three functions on nodejs22.x arm64 from the built zips, each behind its Deploy parameter', () => {
    expect(template.Globals?.Function).toMatchObject({
      Runtime: 'nodejs22.x',
      Architectures: ['arm64'],
      Handler: 'index.handler',
      MemorySize: { Ref: 'MemorySize' },
      Timeout: { Ref: 'Timeout' },
    });
    for (const { kind, id } of KINDS) {
      const fn = template.Resources[`${id}Function`];
      expect(fn).toMatchObject({
        Type: 'AWS::Serverless::Function',
        Condition: `${id}Enabled`,
        Properties: { CodeUri: `../dist/${kind}.zip`, Role: { 'Fn::GetAtt': [`${id}Role`, 'Arn'] } },
      });
      expect(template.Conditions?.[`${id}Enabled`]).toEqual({
        'Fn::Equals': [{ Ref: `Deploy${id}` }, 'true'],
      });
      expect(template.Parameters?.[`Deploy${id}`]).toMatchObject({
        Default: 'true',
        AllowedValues: ['true', 'false'],
      });
      for (const resource of Object.entries(template.Resources)
        .filter(([name]) => name.startsWith(id))
        .map(([, r]) => r)) {
        expect(resource.Condition, 'every resource of a kind is conditional').toMatch(new RegExp(`^${id}`));
      }
    }
  });

  it('puts the PostgreSQL and Redis functions in a VPC only when subnets are given, and never the JWT function', () => {
    expect(template.Globals?.Function?.VpcConfig).toBeUndefined();
    for (const id of ['Postgres', 'Redis'])
      expect(template.Resources[`${id}Function`]?.Properties?.['VpcConfig']).toEqual({
        'Fn::If': [
          'HasVpc',
          { SubnetIds: { Ref: 'SubnetIds' }, SecurityGroupIds: { Ref: 'SecurityGroupIds' } },
          { Ref: 'AWS::NoValue' },
        ],
      });
    expect(template.Resources['JwtFunction']?.Properties?.['VpcConfig']).toBeUndefined();
  });

  it.each(KINDS)(
    'grants the $kind function exactly its statements, each under the right condition',
    ({ id }) => {
      expect(statementTable(template, id)).toEqual(
        Object.fromEntries(
          Object.entries(EXPECTED[id] ?? {}).map(([sid, [actions, guard]]) => [
            sid,
            [[...actions].sort(), guard],
          ]),
        ),
      );
    },
  );

  it.each(KINDS)(
    'lets the $kind function touch only secrets that name it as their rotation function',
    ({ id }) => {
      const statements = roleStatements(template, `${id}Role`);
      const onRotatedSecrets = statements.filter(
        (s) => s.Sid === 'RotateSecretsThatNameThisFunction' || s.Sid === 'ClearEmergencyTag',
      );
      expect(onRotatedSecrets).toHaveLength(2);
      for (const statement of onRotatedSecrets) {
        expect(statement.Condition?.StringEquals).toEqual({
          'secretsmanager:resource/AllowRotationLambdaArn': { 'Fn::GetAtt': [`${id}Function`, 'Arn'] },
        });
        expect(statement.Resource).toEqual({
          'Fn::If': [
            `Has${id}SecretPatterns`,
            { Ref: `${id}SecretArnPatterns` },
            { 'Fn::Sub': 'arn:${AWS::Partition}:secretsmanager:${AWS::Region}:${AWS::AccountId}:secret:*' },
          ],
        });
      }
      // The emergency tag is the only one the function may remove.
      expect(
        onRotatedSecrets.find((s) => s.Sid === 'ClearEmergencyTag')?.Condition?.['ForAllValues:StringEquals'],
      ).toEqual({ 'aws:TagKeys': ['RotationMode'] });
      // Progress: exactly the RotationProgress:* keys the core writes, on the same secrets and condition.
      const progress = statements.find((s) => s.Sid === 'RecordRotationProgress');
      expect(progress?.Condition?.['ForAllValues:StringEquals']).toEqual({
        'aws:TagKeys': Object.values(ProgressTag),
      });
      expect(progress?.Condition?.StringEquals).toEqual(onRotatedSecrets[0]?.Condition?.StringEquals);
      expect(progress?.Resource).toEqual(onRotatedSecrets[0]?.Resource);
    },
  );

  it.each(KINDS)(
    'uses its own KMS keys only through Secrets Manager, only for its own secrets, and never grants a wildcard action for $kind',
    ({ id }) => {
      const statements = roleStatements(template, `${id}Role`);
      const viaSecretsManager = {
        'kms:ViaService': { 'Fn::Sub': 'secretsmanager.${AWS::Region}.amazonaws.com' },
      };
      const kms = statements.find((s) => s.Sid === 'UseSecretsKeyThroughSecretsManager');
      expect(kms?.Resource).toEqual({ Ref: `${id}KmsKeyArns` });
      expect(kms?.Condition).toEqual({
        StringEquals: viaSecretsManager,
        StringLike: {
          'kms:EncryptionContext:SecretARN': {
            'Fn::If': [
              `Has${id}SecretPatterns`,
              { Ref: `${id}SecretArnPatterns` },
              { 'Fn::Sub': 'arn:${AWS::Partition}:secretsmanager:${AWS::Region}:${AWS::AccountId}:secret:*' },
            ],
          },
        },
      });
      const admin = statements.find((s) => s.Sid === 'DecryptAdminSecretsThroughSecretsManager');
      if (id === 'Jwt') expect(admin).toBeUndefined();
      else
        expect(admin).toEqual({
          Sid: 'DecryptAdminSecretsThroughSecretsManager',
          Effect: 'Allow',
          Action: 'kms:Decrypt',
          Resource: { Ref: `${id}AdminKmsKeyArns` },
          Condition: {
            StringEquals: viaSecretsManager,
            StringLike: { 'kms:EncryptionContext:SecretARN': { Ref: `${id}AdminSecretArnPatterns` } },
          },
        });
      for (const statement of statements) {
        expect(statement.Effect).toBe('Allow');
        for (const action of actionsOf(statement)) expect(action).not.toMatch(/\*/);
      }
      // Resource "*" only where the action has no resource type (GetRandomPassword) or ENIs (Lambda's VPC plumbing).
      const star = statements
        .filter((s: PolicyStatement) => s.Resource === '*')
        .map((s) => s.Sid)
        .sort();
      expect(star).toEqual(id === 'Jwt' ? [] : ['GeneratePasswords', 'ManageVpcNetworkInterfaces']);
    },
  );

  it('scopes RDS and ElastiCache actions to the named resources only (none named, none granted), with the tag condition on every Modify', () => {
    const pg = roleStatements(template, 'PostgresRole');
    // Describe: exactly PostgresRdsResourceArns and the break-glass ARNs (issue 14: they were every database).
    expect(pg.find((s) => s.Sid === 'DescribeDatabases')?.Resource).toEqual({
      'Fn::If': [
        'PostgresDescribesBoth',
        {
          'Fn::Split': [
            ',',
            {
              'Fn::Join': [
                ',',
                [
                  { 'Fn::Join': [',', { Ref: 'PostgresRdsResourceArns' }] },
                  { 'Fn::Join': [',', { Ref: 'PostgresBreakGlassResourceArns' }] },
                ],
              ],
            },
          ],
        },
        {
          'Fn::If': [
            'HasPostgresRdsResources',
            { Ref: 'PostgresRdsResourceArns' },
            { Ref: 'PostgresBreakGlassResourceArns' },
          ],
        },
      ],
    });
    expect(template.Conditions?.['PostgresDescribesRds']).toEqual({
      'Fn::Or': [{ Condition: 'HasPostgresRdsResources' }, { Condition: 'PostgresBreakGlassEnabled' }],
    });
    expect(JSON.stringify(pg)).not.toMatch(/rds:[^"]*:(db|cluster):\*/);
    const tagged = (when: Record<string, unknown>, otherwise: unknown) => ({
      'Fn::If': [
        'HasTargetTag',
        {
          ...when,
          StringEquals: { 'aws:ResourceTag/SecretsRotationTarget': { Ref: 'RotationTargetTagValue' } },
        },
        otherwise,
      ],
    });
    const breakGlass = pg.find((s) => s.Sid === 'BreakGlassResetMasterPassword');
    expect(breakGlass?.Resource).toEqual({ Ref: 'PostgresBreakGlassResourceArns' });
    const keepSelfManaged = { BoolIfExists: { 'rds:ManageMasterUserPassword': 'false' } };
    expect(breakGlass?.Condition).toEqual(tagged(keepSelfManaged, keepSelfManaged));
    const pgEnv = (
      template.Resources['PostgresFunction'] as unknown as {
        Properties: { Environment: { Variables: Record<string, unknown> } };
      }
    ).Properties.Environment.Variables;
    expect(pgEnv['PG_RDS_RESOURCE_ARNS']).toEqual({ 'Fn::Join': [',', { Ref: 'PostgresRdsResourceArns' }] });
    expect(pgEnv['PG_BREAK_GLASS_RESOURCE_ARNS']).toEqual({
      'Fn::Join': [',', { Ref: 'PostgresBreakGlassResourceArns' }],
    });
    expect(pg.find((s) => s.Sid === 'ReadAdminSecrets')?.Resource).toEqual({
      Ref: 'PostgresAdminSecretArnPatterns',
    });
    const redis = roleStatements(template, 'RedisRole');
    // Exactly the named groups and users (issue 14: they were every group and user of the account).
    expect(redis.find((s) => s.Sid === 'RotateElastiCacheAuthTokens')?.Resource).toEqual({
      Ref: 'ElastiCacheReplicationGroupArns',
    });
    expect(redis.find((s) => s.Sid === 'RotateElastiCacheUsers')?.Resource).toEqual({
      Ref: 'ElastiCacheUserArns',
    });
    expect(redis.find((s) => s.Sid === 'DescribeElastiCacheReplicationGroups')?.Resource).toEqual({
      Ref: 'ElastiCacheReplicationGroupArns',
    });
    expect(redis.find((s) => s.Sid === 'DescribeElastiCacheUsers')?.Resource).toEqual({
      Ref: 'ElastiCacheUserArns',
    });
    expect(redis.find((s) => s.Sid === 'RotateElastiCacheAuthTokens')?.Condition).toEqual(
      tagged({}, { Ref: 'AWS::NoValue' }),
    );
    const passwordsOnly = { StringEqualsIfExists: { 'elasticache:UserAuthenticationMode': 'password' } };
    expect(redis.find((s) => s.Sid === 'RotateElastiCacheUsers')?.Condition).toEqual(
      tagged(passwordsOnly, passwordsOnly),
    );
    // Describe statements carry no tag condition (not documented for Describe*): they only read.
    for (const sid of ['DescribeElastiCacheReplicationGroups', 'DescribeElastiCacheUsers'])
      expect(redis.find((s) => s.Sid === sid)?.Condition).toBeUndefined();
    expect(pg.find((s) => s.Sid === 'DescribeDatabases')?.Condition).toBeUndefined();
    expect(JSON.stringify(redis)).not.toMatch(/elasticache:[^"]*:\*/);
    const env = (
      template.Resources['RedisFunction'] as unknown as {
        Properties: { Environment: { Variables: Record<string, unknown> } };
      }
    ).Properties.Environment.Variables;
    expect(env['ELASTICACHE_REPLICATION_GROUP_IDS']).toEqual({
      'Fn::Join': [',', { Ref: 'ElastiCacheReplicationGroupArns' }],
    });
    expect(env['ELASTICACHE_USER_IDS']).toEqual({ 'Fn::Join': [',', { Ref: 'ElastiCacheUserArns' }] });
    expect(redis.find((s) => s.Sid === 'ReadAdminSecrets')?.Resource).toEqual({
      Ref: 'RedisAdminSecretArnPatterns',
    });
    expect(
      roleActions(template, 'JwtRole').some((a) => a.startsWith('rds:') || a.startsWith('elasticache:')),
    ).toBe(false);
    expect(roleActions(template, 'RedisRole').some((a) => a.startsWith('rds:'))).toBe(false);
    expect(roleActions(template, 'PostgresRole').some((a) => a.startsWith('elasticache:'))).toBe(false);
  });

  it('refuses break-glass without resources and a VPC with only subnets or only security groups', () => {
    expect(template.Conditions?.PostgresBreakGlassEnabled).toEqual({
      'Fn::And': [
        { 'Fn::Equals': [{ Ref: 'PostgresBreakGlass' }, 'true'] },
        {
          'Fn::Not': [
            { 'Fn::Equals': [{ 'Fn::Join': ['', { Ref: 'PostgresBreakGlassResourceArns' }] }, ''] },
          ],
        },
      ],
    });
    expect(template.Rules?.BreakGlassNeedsResources).toMatchObject({
      RuleCondition: { 'Fn::Equals': [{ Ref: 'PostgresBreakGlass' }, 'true'] },
    });
    expect(JSON.stringify(template.Rules?.VpcNeedsSubnetsAndSecurityGroups)).toContain('SecurityGroupIds');
  });

  it.each(KINDS)(
    'lets only secretsmanager.amazonaws.com in this account invoke the $kind function',
    ({ id }) => {
      expect(template.Resources[`${id}InvokePermission`]).toEqual({
        Type: 'AWS::Lambda::Permission',
        Condition: `${id}Enabled`,
        Properties: {
          FunctionName: { 'Fn::GetAtt': [`${id}Function`, 'Arn'] },
          Action: 'lambda:InvokeFunction',
          Principal: 'secretsmanager.amazonaws.com',
          SourceAccount: { Ref: 'AWS::AccountId' },
        },
      });
    },
  );

  it.each(KINDS)(
    'schedules the $kind secret every 90 days by default, with an optional window, once permissions exist',
    ({ id }) => {
      const schedule = template.Resources[`${id}RotationSchedule`];
      expect(schedule).toMatchObject({
        Type: 'AWS::SecretsManager::RotationSchedule',
        Condition: `${id}Scheduled`,
        DependsOn: [`${id}RotationPolicy`, `${id}InvokePermission`],
        Properties: {
          SecretId: { Ref: `${id}SecretArn` },
          RotationLambdaARN: { 'Fn::GetAtt': [`${id}Function`, 'Arn'] },
          RotationRules: {
            ScheduleExpression: { Ref: `${id}ScheduleExpression` },
            Duration: {
              'Fn::If': [`Has${id}Window`, { Ref: `${id}ScheduleWindow` }, { Ref: 'AWS::NoValue' }],
            },
          },
        },
      });
      expect(template.Parameters?.[`${id}ScheduleExpression`]?.Default).toBe('rate(90 days)');
      expect(template.Conditions?.[`${id}Scheduled`]).toEqual({
        'Fn::And': [
          { Condition: `${id}Enabled` },
          { 'Fn::Not': [{ 'Fn::Equals': [{ Ref: `${id}SecretArn` }, ''] }] },
        ],
      });
    },
  );

  it.each(KINDS)(
    'alarms on $kind function errors and on the RotationFailed metric of its kind',
    ({ kind, id }) => {
      expect(template.Resources[`${id}ErrorsAlarm`]).toMatchObject({
        Condition: `${id}Alarms`,
        Properties: {
          Namespace: 'AWS/Lambda',
          MetricName: 'Errors',
          Dimensions: [{ Name: 'FunctionName', Value: { Ref: `${id}Function` } }],
          AlarmActions: [{ Ref: 'AlarmTopicArn' }],
        },
      });
      const failed = template.Resources[`${id}RotationFailedAlarm`];
      expect(failed).toMatchObject({
        Condition: `${id}Alarms`,
        Properties: {
          AlarmActions: [{ Ref: 'AlarmTopicArn' }],
          Threshold: 1,
          ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        },
      });
      const [query] = failed?.Properties?.Metrics as { Expression: { 'Fn::Sub': string } }[];
      expect(query?.Expression['Fn::Sub']).toBe(
        `SELECT SUM(RotationFailed) FROM "\${MetricsNamespace}" WHERE kind = '${kind}'`,
      );
    },
  );

  it('passes settings only under the variable names the functions read, with allowed values the functions accept', async () => {
    for (const { kind, id } of KINDS) {
      const variables = (
        template.Resources[`${id}Function`]?.Properties?.Environment as { Variables: Record<string, unknown> }
      ).Variables;
      const sources = await readSources([`functions/${kind}`, 'shared']);
      for (const name of Object.keys(variables)) {
        if (name === 'NODE_OPTIONS' || name.startsWith('POWERTOOLS_')) continue;
        expect(sources.includes(`'${name}'`), `${kind} reads ${name}`).toBe(true);
      }
      expect(variables.NODE_OPTIONS).toBe(LAMBDA_NODE_OPTIONS);
      expect(variables.SECRETS_MANAGER_ENDPOINT).toEqual({ Ref: 'SecretsManagerEndpoint' });
    }
    // Bounded waits end before the function times out.
    expect(Number(template.Parameters?.ElastiCacheWaitSeconds?.Default)).toBeLessThan(
      Number(template.Parameters?.Timeout?.Default),
    );
    expect(300).toBeLessThan(Number(template.Parameters?.Timeout?.Default)); // PG_BREAK_GLASS_WAIT_MS default
    const allowed = (name: string): unknown[] =>
      (template.Parameters?.[name]?.AllowedValues ?? []).filter((value) => value !== '');
    expect(allowed('PostgresSslMode').sort()).toEqual([...SSL_MODES].sort());
    expect(allowed('PostgresRotationStrategy').sort()).toEqual(Object.values(PostgresStrategyName).sort());
    expect(allowed('PostgresAlternatingNaming').sort()).toEqual(Object.values(AlternatingNaming).sort());
    expect(allowed('RedisMode').sort()).toEqual([...REDIS_MODES].sort());
  });

  it('passes cfn-lint (skipped with a reason when cfn-lint is not installed)', async (context) => {
    const version = await run('cfn-lint', ['--version']).catch(() => undefined);
    if (!version) {
      console.warn(
        'cfn-lint is not installed (it comes with the image Python; it cannot be installed from npm): skipping the SAM template lint',
      );
      context.skip();
      return;
    }
    const result = await run('cfn-lint', [templatePath]).then(
      () => ({ code: 0, output: '' }),
      (error: { code?: number; stdout?: string }) => ({ code: error.code ?? 1, output: error.stdout ?? '' }),
    );
    expect(result.output).toBe('');
    expect(result.code).toBe(0);
  }, 60_000);
});

async function readSources(dirs: readonly string[]): Promise<string> {
  const texts: string[] = [];
  for (const dir of dirs) {
    for (const file of await readdir(path.join(rootDir, dir))) {
      if (file.endsWith('.ts')) texts.push(await readFile(path.join(rootDir, dir, file), 'utf8'));
    }
  }
  return texts.join('\n');
}
