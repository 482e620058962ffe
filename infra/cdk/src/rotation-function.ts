import { existsSync, statSync } from 'node:fs';
import { ArnFormat, Duration, Lazy, Stack, Token, Validations } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cloudwatchActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { bundledZipPath } from './assets.ts';
import { ELASTICACHE_WAIT_SECONDS, elastiCacheTiming } from './elasticache-timeout.ts';
import {
  Actions,
  EMERGENCY_TAG_KEY,
  MODIFY_CONDITIONS,
  REPLICA_STATUS_TAG_KEY,
  PROGRESS_TAG_KEYS,
  KIND_FEATURES,
  ROTATION_KINDS,
  SECRET_ARN_CONTEXT_KEY,
  StatementId,
  type RotationKind,
} from './permissions.ts';
import { LAMBDA_NODE_OPTIONS } from './node-options.ts';

/** Settings the construct owns (IAM follows them), so `environment` may not set them. */
const MANAGED_VARIABLES = [
  'NODE_OPTIONS',
  'SECRETS_MANAGER_ENDPOINT',
  'POWERTOOLS_LOG_LEVEL',
  'POWERTOOLS_METRICS_NAMESPACE',
  'PG_BREAK_GLASS',
  'PG_RDS_RESOURCE_ARNS',
  'PG_BREAK_GLASS_RESOURCE_ARNS',
  'ELASTICACHE_REPLICATION_GROUP_IDS',
  'ELASTICACHE_USER_IDS',
] as const;
const LOG_LEVELS = ['DEBUG', 'INFO', 'WARN', 'ERROR'] as const;
export type RotationLogLevel = (typeof LOG_LEVELS)[number];

export const ROTATION_FUNCTION_DEFAULTS = Object.freeze({
  memorySize: 256,
  timeout: Duration.seconds(360),
  logRetention: logs.RetentionDays.ONE_YEAR,
  logLevel: 'INFO' as RotationLogLevel,
  metricsNamespace: 'SecretsRotation',
});

export { ELASTICACHE_WAIT_SECONDS } from './elasticache-timeout.ts';

/** The zip this package ships for a kind (`assets/<kind>.zip`). */
export function defaultZipPath(kind: RotationKind): string {
  return bundledZipPath(kind);
}

export interface RotationFunctionProps {
  /** Which function: `jwt`, `postgres` or `redis`. */
  readonly kind: RotationKind;
  /** The built zip. Default: the zip shipped in this package (`assets/<kind>.zip`). */
  readonly zipPath?: string;
  /**
   * ARN patterns of secrets this function may rotate, in addition to the secrets passed to
   * `attachRotation`. Either way only secrets whose rotation function is this one.
   * Default: none (attach secrets with `attachRotation`).
   */
  readonly secretArnPatterns?: readonly string[];
  /** PostgreSQL and Redis: admin (master) secrets the function may read, by ARN pattern. Default: none. */
  readonly adminSecretArnPatterns?: readonly string[];
  /** Regions the rotated secrets are replicated to; the function may DescribeSecret there. Default: none. */
  readonly replicaRegions?: readonly string[];
  /** PostgreSQL and Redis: admin (master) secrets the function may read; their KMS keys are granted too. Default: none. */
  readonly adminSecrets?: readonly secretsmanager.ISecret[];
  /** Customer managed KMS keys of the rotated secrets (attached secrets' keys are added). Default: none. */
  readonly kmsKeyArns?: readonly string[];
  /** Customer managed KMS keys of the admin secrets given by pattern (`adminSecrets` keys are added). Default: none. */
  readonly adminKmsKeyArns?: readonly string[];
  /**
   * PostgreSQL only: RDS instance and cluster ARNs the function may describe (DescribeDBInstances /
   * DescribeDBClusters on these only): the databases of RDS-managed admin secrets and the RDS
   * primaries, replicas and clusters an admin secret serves. The function refuses any other
   * (PG_RDS_RESOURCE_ARNS). Default: none (no RDS permission, break-glass resources excepted).
   */
  readonly rdsResourceArns?: readonly string[];
  /** PostgreSQL only: RDS instances and clusters whose master password break-glass may reset (and describe). Giving any enables PG_BREAK_GLASS. Default: break-glass off. */
  readonly breakGlassResourceArns?: readonly string[];
  /**
   * Only resources with this tag may be modified: an `aws:ResourceTag/<key>` condition on
   * break-glass (ModifyDBInstance/ModifyDBCluster) and ElastiCache (ModifyReplicationGroup,
   * ModifyUser), on top of the lists above. (The SAM template's RotationTargetTagValue uses the key
   * SecretsRotationTarget.) Default: no tag condition.
   */
  readonly targetTag?: { readonly key: string; readonly value: string };
  /**
   * Redis only: ElastiCache replication groups whose AUTH token the function may rotate. Grants
   * DescribeReplicationGroups/ModifyReplicationGroup on exactly these, and the function refuses a
   * secret naming another. Default: none (no replication-group permission).
   */
  readonly elastiCacheReplicationGroupIds?: readonly string[];
  /** Redis only: ElastiCache RBAC user ids the function may rotate (DescribeUsers/ModifyUser on these only). Default: none. */
  readonly elastiCacheUserIds?: readonly string[];
  /** Memory in MB, 128 to 10240. Default 256. */
  readonly memorySize?: number;
  /**
   * 10 s to 15 min; keep it above the PostgreSQL break-glass wait (300 s). Redis rotating
   * ElastiCache (`elastiCacheReplicationGroupIds` or `elastiCacheUserIds` given): at least the
   * worst case of its waits, 3 (groups) or 2 (users only) x the wait + 30 s, or synth fails naming
   * the props. Default 6 minutes, or that worst case when it is longer (750 s with groups and the
   * default 240 s wait).
   */
  readonly timeout?: Duration;
  /** A VPC to run in (private subnets reaching the database or cache and Secrets Manager). Default: no VPC. */
  readonly vpc?: ec2.IVpc;
  /** Subnets in `vpc`. Default: the VPC's private subnets. */
  readonly vpcSubnets?: ec2.SubnetSelection;
  /** Security groups in `vpc`. Default: one new group allowing all outbound traffic. */
  readonly securityGroups?: readonly ec2.ISecurityGroup[];
  /** Secrets Manager endpoint (SECRETS_MANAGER_ENDPOINT), e.g. an interface endpoint's https URL. Default: the regional endpoint. */
  readonly secretsManagerEndpoint?: string;
  /** More environment variables: the password knobs (PASSWORD_LENGTH, EXCLUDE_CHARACTERS, ...) and the kind's settings. Default: none (Redis: MAX_WAITING_TIME_FOR_ACTIVE_IN_SECONDS=240). */
  readonly environment?: Readonly<Record<string, string>>;
  /** POWERTOOLS_LOG_LEVEL. Default INFO. */
  readonly logLevel?: RotationLogLevel;
  /** How long to keep logs. Default one year. */
  readonly logRetention?: logs.RetentionDays;
  /** POWERTOOLS_METRICS_NAMESPACE, also watched by the RotationFailed alarm. Default SecretsRotation. */
  readonly metricsNamespace?: string;
  /** Where the alarms (function errors, failed rotation steps) notify. Default: no alarms. */
  readonly alarmTopic?: sns.ITopic;
  /** Default: a name CloudFormation generates. */
  readonly functionName?: string;
}

/**
 * One rotation function of a kind, from its zip, with exactly the permissions it needs
 * (see permissions.ts): its own role, a separate `rotation` policy that names the
 * function's ARN, an invoke permission for Secrets Manager in this account, a log
 * group, and optional alarms. Attach secrets with `attachRotation(secret, fn, options)`.
 */
export class RotationFunction extends Construct implements ec2.IConnectable, iam.IGrantable {
  readonly kind: RotationKind;
  /** The Lambda function (an `IFunction`: `secret.addRotationSchedule({ rotationLambda })` accepts it). */
  readonly function: lambda.Function;
  readonly functionArn: string;
  readonly role: iam.Role;
  /** The role: `secret.grantRead(rotation)` and friends grant to it. */
  readonly grantPrincipal: iam.IPrincipal;
  /** The statements that name this function; a schedule must depend on it. */
  readonly rotationPolicy: iam.Policy;
  readonly invokePermission: lambda.CfnPermission;
  readonly logGroup: logs.LogGroup;
  /** The Errors and RotationFailed alarms when `alarmTopic` is given. */
  readonly alarms: readonly cloudwatch.CfnAlarm[];
  readonly #secretArns: string[] = [];
  readonly #kmsKeyArns: string[] = [];
  readonly #adminSecretArns: string[] = [];
  readonly #adminKmsKeyArns: string[] = [];
  #secretStatements: iam.PolicyStatement[] | undefined;
  #kmsStatement: iam.PolicyStatement | undefined;
  #adminStatement: iam.PolicyStatement | undefined;
  #adminKmsStatement: iam.PolicyStatement | undefined;

  constructor(scope: Construct, id: string, props: RotationFunctionProps) {
    super(scope, id);
    validateProps(id, props);
    const kind = props.kind;
    const features = KIND_FEATURES[kind];
    const stack = Stack.of(this);
    this.kind = kind;

    this.logGroup = new logs.LogGroup(this, 'LogGroup', {
      retention: props.logRetention ?? ROTATION_FUNCTION_DEFAULTS.logRetention,
    });
    const execution = [
      new iam.PolicyStatement({
        sid: StatementId.writeOwnLogs,
        actions: [...Actions.writeOwnLogs],
        resources: [this.logGroup.logGroupArn],
      }),
    ];
    if (props.vpc)
      execution.push(
        new iam.PolicyStatement({
          sid: StatementId.manageVpcNetworkInterfaces,
          actions: [...Actions.manageVpcNetworkInterfaces],
          resources: ['*'],
        }),
      );
    this.role = new iam.Role(this, 'Role', {
      description: `Execution role of the ${kind} rotation function`,
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      inlinePolicies: { execution: new iam.PolicyDocument({ statements: execution }) },
    });
    this.grantPrincipal = this.role;

    const environment: Record<string, string> = {
      NODE_OPTIONS: LAMBDA_NODE_OPTIONS,
      POWERTOOLS_LOG_LEVEL: props.logLevel ?? ROTATION_FUNCTION_DEFAULTS.logLevel,
      POWERTOOLS_METRICS_NAMESPACE: props.metricsNamespace ?? ROTATION_FUNCTION_DEFAULTS.metricsNamespace,
      ...(props.secretsManagerEndpoint ? { SECRETS_MANAGER_ENDPOINT: props.secretsManagerEndpoint } : {}),
      ...(props.breakGlassResourceArns?.length ? { PG_BREAK_GLASS: 'true' } : {}),
      ...(kind === 'postgres'
        ? {
            PG_RDS_RESOURCE_ARNS: (props.rdsResourceArns ?? []).join(','),
            PG_BREAK_GLASS_RESOURCE_ARNS: (props.breakGlassResourceArns ?? []).join(','),
          }
        : {}),
      // ElastiCache changes are waited for within the function's timeout (as in the SAM template).
      ...(kind === 'redis'
        ? {
            MAX_WAITING_TIME_FOR_ACTIVE_IN_SECONDS: String(ELASTICACHE_WAIT_SECONDS),
            ELASTICACHE_REPLICATION_GROUP_IDS: (props.elastiCacheReplicationGroupIds ?? []).join(','),
            ELASTICACHE_USER_IDS: (props.elastiCacheUserIds ?? []).join(','),
          }
        : {}),
      ...props.environment,
    };
    this.function = new lambda.Function(this, 'Function', {
      runtime: lambda.Runtime.NODEJS_22_X,
      architecture: lambda.Architecture.ARM_64,
      handler: 'index.handler',
      code: lambda.Code.fromAsset(props.zipPath ?? defaultZipPath(kind)),
      description: `Secrets Manager rotation function for ${kind} secrets`,
      role: this.role,
      logGroup: this.logGroup,
      memorySize: props.memorySize ?? ROTATION_FUNCTION_DEFAULTS.memorySize,
      timeout: props.timeout ?? defaultTimeout(props),
      environment,
      ...(props.functionName ? { functionName: props.functionName } : {}),
      ...(props.vpc
        ? {
            vpc: props.vpc,
            vpcSubnets: props.vpcSubnets,
            securityGroups: props.securityGroups ? [...props.securityGroups] : undefined,
          }
        : {}),
    });
    this.functionArn = this.function.functionArn;

    // A separate policy (not the role's default policy): it names the function's ARN, and
    // the function must not wait for it, or the two would depend on each other.
    this.rotationPolicy = new iam.Policy(this, 'RotationPolicy', {
      policyName: 'rotation',
      roles: [this.role],
    });
    if (features.passwords)
      this.rotationPolicy.addStatements(
        new iam.PolicyStatement({
          sid: StatementId.generatePasswords,
          actions: [...Actions.generatePasswords],
          resources: ['*'],
        }),
      );
    // The tag condition, added to each Modify statement's own conditions.
    const withTag = (conditions: Record<string, Record<string, string>>) =>
      props.targetTag
        ? {
            ...conditions,
            StringEquals: { [`aws:ResourceTag/${props.targetTag.key}`]: props.targetTag.value },
          }
        : conditions;
    const described = [...(props.rdsResourceArns ?? []), ...(props.breakGlassResourceArns ?? [])];
    if (features.rds && described.length > 0)
      this.rotationPolicy.addStatements(
        new iam.PolicyStatement({
          sid: StatementId.describeDatabases,
          actions: [...Actions.describeDatabases],
          resources: described,
        }),
      );
    if (features.rds && props.breakGlassResourceArns?.length)
      this.rotationPolicy.addStatements(
        new iam.PolicyStatement({
          sid: StatementId.breakGlass,
          actions: [...Actions.breakGlass],
          resources: [...props.breakGlassResourceArns],
          conditions: withTag(MODIFY_CONDITIONS.breakGlass),
        }),
      );
    if (features.elastiCache) {
      const cacheArn = (resource: string, resourceName: string): string =>
        stack.formatArn({
          service: 'elasticache',
          resource,
          resourceName,
          arnFormat: ArnFormat.COLON_RESOURCE_NAME,
        });
      const groups = (props.elastiCacheReplicationGroupIds ?? []).map((id) =>
        cacheArn('replicationgroup', id),
      );
      const users = (props.elastiCacheUserIds ?? []).map((id) => cacheArn('user', id));
      if (groups.length > 0)
        this.rotationPolicy.addStatements(
          new iam.PolicyStatement({
            sid: StatementId.describeElastiCacheReplicationGroups,
            actions: [...Actions.describeElastiCacheReplicationGroups],
            resources: groups,
          }),
          new iam.PolicyStatement({
            sid: StatementId.rotateElastiCacheAuthTokens,
            actions: [...Actions.rotateElastiCacheAuthTokens],
            resources: groups,
            conditions: withTag(MODIFY_CONDITIONS.rotateElastiCacheAuthTokens),
          }),
        );
      if (users.length > 0)
        this.rotationPolicy.addStatements(
          new iam.PolicyStatement({
            sid: StatementId.describeElastiCacheUsers,
            actions: [...Actions.describeElastiCacheUsers],
            resources: users,
          }),
          new iam.PolicyStatement({
            sid: StatementId.rotateElastiCacheUsers,
            actions: [...Actions.rotateElastiCacheUsers],
            resources: users,
            conditions: withTag(MODIFY_CONDITIONS.rotateElastiCacheUsers),
          }),
        );
    }
    if (props.replicaRegions?.length) {
      this.rotationPolicy.addStatements(
        new iam.PolicyStatement({
          sid: StatementId.readReplicaRegions,
          actions: [...Actions.readReplicaRegions],
          resources: [
            stack.formatArn({
              service: 'secretsmanager',
              region: '*',
              resource: 'secret',
              resourceName: '*',
              arnFormat: ArnFormat.COLON_RESOURCE_NAME,
            }),
          ],
          conditions: { StringEquals: { 'aws:RequestedRegion': [...props.replicaRegions] } },
        }),
      );
    }
    for (const pattern of props.secretArnPatterns ?? []) this.addSecretArn(pattern);
    for (const key of props.kmsKeyArns ?? []) this.addKmsKeyArn(key);
    for (const pattern of props.adminSecretArnPatterns ?? []) this.addAdminSecretArn(pattern);
    for (const key of props.adminKmsKeyArns ?? []) this.addAdminKmsKeyArn(key);
    for (const secret of props.adminSecrets ?? []) this.grantReadAdminSecret(secret);

    this.invokePermission = new lambda.CfnPermission(this, 'InvokePermission', {
      functionName: this.function.functionArn,
      action: 'lambda:InvokeFunction',
      principal: 'secretsmanager.amazonaws.com',
      sourceAccount: stack.account,
    });

    this.alarms = props.alarmTopic
      ? this.#createAlarms(
          props.alarmTopic,
          props.metricsNamespace ?? ROTATION_FUNCTION_DEFAULTS.metricsNamespace,
        )
      : [];

    this.node.addValidation({
      validate: () =>
        this.#secretArns.length === 0
          ? [
              `RotationFunction ${this.node.path}: no secret to rotate; pass props.secretArnPatterns or call attachRotation(secret, fn)`,
            ]
          : [],
    });
    this.#acknowledgeJustifiedFindings(features, props.vpc !== undefined);
  }

  /** Let this function rotate secrets matching `arn` (only those whose rotation function is this one). */
  addSecretArn(arn: string): void {
    if (this.#secretArns.includes(arn)) return;
    this.#secretArns.push(arn);
    if (!this.#secretStatements) {
      const onlyThisFunction = {
        StringEquals: { 'secretsmanager:resource/AllowRotationLambdaArn': this.function.functionArn },
      };
      this.#secretStatements = [
        new iam.PolicyStatement({
          sid: StatementId.rotateSecrets,
          actions: [...Actions.rotateSecrets, ...Actions.readPasswordHistory[this.kind]],
          resources: [],
          conditions: onlyThisFunction,
        }),
        new iam.PolicyStatement({
          sid: StatementId.clearEmergencyTag,
          actions: [...Actions.clearEmergencyTag],
          resources: [],
          conditions: {
            ...onlyThisFunction,
            'ForAllValues:StringEquals': { 'aws:TagKeys': [EMERGENCY_TAG_KEY] },
          },
        }),
        new iam.PolicyStatement({
          sid: StatementId.recordReplicaStatus,
          actions: [...Actions.recordReplicaStatus],
          resources: [],
          conditions: {
            ...onlyThisFunction,
            'ForAllValues:StringEquals': { 'aws:TagKeys': [REPLICA_STATUS_TAG_KEY] },
          },
        }),
        new iam.PolicyStatement({
          sid: StatementId.recordRotationProgress,
          actions: [...Actions.recordRotationProgress],
          resources: [],
          conditions: {
            ...onlyThisFunction,
            'ForAllValues:StringEquals': { 'aws:TagKeys': [...PROGRESS_TAG_KEYS] },
          },
        }),
      ];
      this.rotationPolicy.addStatements(...this.#secretStatements);
    }
    for (const statement of this.#secretStatements) statement.addResources(arn);
  }

  /**
   * Let this function use a customer managed key of the secrets it rotates: only through
   * Secrets Manager, and only for those secrets (the SecretARN encryption context).
   */
  addKmsKeyArn(arn: string): void {
    if (this.#kmsKeyArns.includes(arn)) return;
    this.#kmsKeyArns.push(arn);
    this.#kmsStatement ??= this.#addKmsStatement(StatementId.useKmsKey, Actions.useKmsKey, this.#secretArns);
    this.#kmsStatement.addResources(arn);
  }

  /** PostgreSQL and Redis: let this function read an admin (master) secret, by ARN or pattern. */
  addAdminSecretArn(arn: string): void {
    if (!KIND_FEATURES[this.kind].adminSecrets)
      throw new Error(`RotationFunction ${this.node.path}: the ${this.kind} kind reads no admin secret`);
    if (this.#adminSecretArns.includes(arn)) return;
    this.#adminSecretArns.push(arn);
    if (!this.#adminStatement) {
      this.#adminStatement = new iam.PolicyStatement({
        sid: StatementId.readAdminSecrets,
        actions: [...Actions.readAdminSecrets[this.kind]],
        resources: [],
      });
      this.rotationPolicy.addStatements(this.#adminStatement);
    }
    this.#adminStatement.addResources(arn);
  }

  /** Let this function decrypt (only) with an admin secret's customer managed key, for the admin secrets only. */
  addAdminKmsKeyArn(arn: string): void {
    if (this.#adminKmsKeyArns.includes(arn)) return;
    this.#adminKmsKeyArns.push(arn);
    this.#adminKmsStatement ??= this.#addKmsStatement(
      StatementId.useAdminKmsKey,
      Actions.useAdminKmsKey,
      this.#adminSecretArns,
    );
    this.#adminKmsStatement.addResources(arn);
  }

  /** Grant what rotating `secret` needs: its ARN and, if it has one, its KMS key. */
  grantRotation(secret: secretsmanager.ISecret): void {
    this.addSecretArn(secretArnPattern(secret));
    if (secret.encryptionKey) this.addKmsKeyArn(secret.encryptionKey.keyArn);
  }

  /** Grant reading an admin (master) secret: its ARN and, if it has one, its KMS key (decrypt only). */
  grantReadAdminSecret(secret: secretsmanager.ISecret): void {
    this.addAdminSecretArn(secretArnPattern(secret));
    if (secret.encryptionKey) this.addAdminKmsKeyArn(secret.encryptionKey.keyArn);
  }

  /** The function's security groups (it must run in a VPC): `db.connections.allowDefaultPortFrom(rotation)`. */
  get connections(): ec2.Connections {
    return this.function.connections;
  }

  #addKmsStatement(
    sid: StatementId,
    actions: readonly string[],
    secretArns: readonly string[],
  ): iam.PolicyStatement {
    const statement = new iam.PolicyStatement({
      sid,
      actions: [...actions],
      resources: [],
      conditions: {
        StringEquals: { 'kms:ViaService': `secretsmanager.${Stack.of(this).region}.amazonaws.com` },
        // Filled at synthesis: secrets attached after the key was added count too.
        StringLike: { [SECRET_ARN_CONTEXT_KEY]: Lazy.list({ produce: () => [...secretArns] }) },
      },
    });
    this.rotationPolicy.addStatements(statement);
    return statement;
  }

  #createAlarms(topic: sns.ITopic, namespace: string): cloudwatch.CfnAlarm[] {
    const errors = this.function
      .metricErrors({ period: Duration.minutes(5), statistic: 'Sum' })
      .createAlarm(this, 'ErrorsAlarm', {
        alarmDescription: `The ${this.kind} rotation function failed an invocation (any step, including a timeout or a crash).`,
        threshold: 1,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
    errors.addAlarmAction(new cloudwatchActions.SnsAction(topic));
    // A Metrics Insights query sums RotationFailed over every step (and any other
    // dimension Powertools adds), so one alarm covers the kind whatever step failed.
    const failed = new cloudwatch.CfnAlarm(this, 'RotationFailedAlarm', {
      alarmDescription: `A ${this.kind} rotation step failed (metric RotationFailed, summed over every step).`,
      metrics: [
        {
          id: 'failed',
          expression: `SELECT SUM(RotationFailed) FROM "${namespace}" WHERE kind = '${this.kind}'`,
          period: 300,
          returnData: true,
        },
      ],
      evaluationPeriods: 1,
      threshold: 1,
      comparisonOperator: 'GreaterThanOrEqualToThreshold',
      treatMissingData: 'notBreaching',
      alarmActions: [topic.topicArn],
    });
    return [errors.node.defaultChild as cloudwatch.CfnAlarm, failed];
  }

  /**
   * cdk-nag AwsSolutions findings this design accepts, each with its reason. Wildcards the
   * caller passes in (secret or admin ARN patterns) are not acknowledged here: that is
   * the caller's decision to make and justify.
   */
  #acknowledgeJustifiedFindings(features: (typeof KIND_FEATURES)[RotationKind], hasVpc: boolean): void {
    if (hasVpc) {
      Validations.of(this.role).acknowledge({
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason:
          'Lambda creates and deletes the ENIs of a VPC function itself; ec2:Describe* actions have no resource-level permissions (same actions as AWSLambdaVPCAccessExecutionRole, inline instead of a managed policy).',
      });
    }
    if (features.passwords) {
      Validations.of(this.rotationPolicy).acknowledge({
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason:
          'secretsmanager:GetRandomPassword has no resource type; IAM only accepts Resource "*" for it.',
      });
    }
    Validations.of(this.function).acknowledge({
      id: 'AwsSolutions-L1',
      reason:
        'nodejs22.x is the runtime the bundles are built (esbuild target node20) and tested for; move to a newer runtime after running the zip-level tests on it.',
    });
  }
}

function validateProps(id: string, props: RotationFunctionProps): void {
  const fail = (prop: string, expected: string, received: unknown): never => {
    throw new Error(
      `RotationFunction ${id}: props.${prop} must be ${expected}; received ${describe(received)}`,
    );
  };
  if (!ROTATION_KINDS.includes(props.kind)) fail('kind', `one of ${ROTATION_KINDS.join(', ')}`, props.kind);
  const features = KIND_FEATURES[props.kind];
  if (
    props.zipPath !== undefined &&
    (!props.zipPath.endsWith('.zip') || !existsSync(props.zipPath) || !statSync(props.zipPath).isFile())
  ) {
    fail('zipPath', 'an existing .zip file (run `npm run build`)', props.zipPath);
  }
  if (props.zipPath === undefined && !existsSync(defaultZipPath(props.kind))) {
    fail(
      'zipPath',
      `given, or the package's ${defaultZipPath(props.kind)} present (a repository checkout builds it with \`npm run package\`)`,
      props.zipPath,
    );
  }
  const memory = props.memorySize;
  if (
    memory !== undefined &&
    !Token.isUnresolved(memory) &&
    (!Number.isInteger(memory) || memory < 128 || memory > 10_240)
  )
    fail('memorySize', 'an integer from 128 to 10240 (MB)', memory);
  if (props.timeout !== undefined && !Token.isUnresolved(props.timeout.toSeconds({ integral: false }))) {
    const seconds = props.timeout.toSeconds({ integral: false });
    if (seconds < 10 || seconds > 900)
      fail('timeout', 'from 10 seconds to 15 minutes', props.timeout.toHumanString());
  }
  for (const [prop, arns, service] of [
    ['secretArnPatterns', props.secretArnPatterns, 'secretsmanager'],
    ['adminSecretArnPatterns', props.adminSecretArnPatterns, 'secretsmanager'],
    ['kmsKeyArns', props.kmsKeyArns, 'kms'],
    ['adminKmsKeyArns', props.adminKmsKeyArns, 'kms'],
    ['breakGlassResourceArns', props.breakGlassResourceArns, 'rds'],
    ['rdsResourceArns', props.rdsResourceArns, 'rds'],
  ] as const) {
    for (const arn of arns ?? []) {
      if (!Token.isUnresolved(arn) && !new RegExp(`^arn:[^:]+:${service}:`).test(arn))
        fail(prop, `a list of ${service} ARNs`, arn);
    }
  }
  if (props.adminSecretArnPatterns?.length && !features.adminSecrets)
    fail(
      'adminSecretArnPatterns',
      'empty for the jwt kind (it reads no admin secret)',
      props.adminSecretArnPatterns,
    );
  if (props.adminSecrets?.length && !features.adminSecrets)
    fail(
      'adminSecrets',
      'empty for the jwt kind (it reads no admin secret)',
      props.adminSecrets.map((secret) => secret.node.path),
    );
  for (const [prop, ids] of [
    ['elastiCacheReplicationGroupIds', props.elastiCacheReplicationGroupIds],
    ['elastiCacheUserIds', props.elastiCacheUserIds],
  ] as const) {
    if (ids?.length && !features.elastiCache)
      fail(prop, `empty for the ${props.kind} kind (ElastiCache is Redis only)`, ids);
    for (const id of ids ?? [])
      if (!Token.isUnresolved(id) && !/^[A-Za-z0-9-]{1,64}$/.test(id))
        fail(prop, 'a list of ElastiCache ids (letters, digits, hyphens)', id);
  }
  if (props.rdsResourceArns?.length && !features.rds)
    fail(
      'rdsResourceArns',
      `empty for the ${props.kind} kind (RDS is PostgreSQL only)`,
      props.rdsResourceArns,
    );
  for (const arn of [...(props.rdsResourceArns ?? []), ...(props.breakGlassResourceArns ?? [])])
    if (!Token.isUnresolved(arn) && !/^arn:[^:]+:rds:[^:]*:[^:]*:(db|cluster):[^:]+$/.test(arn))
      fail('rdsResourceArns/breakGlassResourceArns', 'RDS instance (:db:) or cluster (:cluster:) ARNs', arn);
  const tag = props.targetTag;
  if (
    tag !== undefined &&
    !Token.isUnresolved(tag.key) &&
    !Token.isUnresolved(tag.value) &&
    (!/^[\w .:/=+@-]{1,128}$/.test(tag.key) ||
      tag.key.startsWith('aws:') ||
      !/^[\w .:/=+@-]{0,256}$/.test(tag.value))
  )
    fail(
      'targetTag',
      'a tag key (1-128 characters, not aws:) and value (0-256) of letters, digits, spaces and _.:/=+-@',
      tag,
    );
  if (props.breakGlassResourceArns?.length && !features.rds)
    fail(
      'breakGlassResourceArns',
      `empty for the ${props.kind} kind (break-glass is PostgreSQL only)`,
      props.breakGlassResourceArns,
    );
  const timing = elastiCacheTiming(props);
  if (timing) {
    const sizing = `${timing.waits} bounded ElastiCache waits (props.${props.elastiCacheReplicationGroupIds?.length ? 'elastiCacheReplicationGroupIds' : 'elastiCacheUserIds'} given) of ${timing.waitSeconds} s (${timing.waitFrom}) plus 30 s`;
    if (timing.worstCaseSeconds > 900)
      fail(
        'environment',
        `an ElastiCache wait whose worst case fits Lambda's 15 minutes: ${sizing} is ${timing.worstCaseSeconds} s`,
        timing.waitSeconds,
      );
    const seconds = props.timeout?.toSeconds({ integral: false });
    if (seconds !== undefined && !Token.isUnresolved(seconds) && seconds < timing.worstCaseSeconds)
      fail(
        'timeout',
        `at least ${timing.worstCaseSeconds} seconds: ${sizing}; raise the timeout or lower the wait`,
        props.timeout?.toHumanString(),
      );
  }
  for (const region of props.replicaRegions ?? []) {
    if (!Token.isUnresolved(region) && !/^([a-z]+-)+\d+$/.test(region))
      fail('replicaRegions', 'a list of Region names such as us-west-2', region);
  }
  if ((props.vpcSubnets || props.securityGroups) && !props.vpc)
    fail('vpc', 'given when vpcSubnets or securityGroups are', props.vpc);
  if (
    props.secretsManagerEndpoint !== undefined &&
    !Token.isUnresolved(props.secretsManagerEndpoint) &&
    !/^https?:\/\/\S+$/.test(props.secretsManagerEndpoint)
  ) {
    fail('secretsManagerEndpoint', 'an http(s) URL', props.secretsManagerEndpoint);
  }
  if (props.logLevel !== undefined && !LOG_LEVELS.includes(props.logLevel))
    fail('logLevel', `one of ${LOG_LEVELS.join(', ')}`, props.logLevel);
  for (const name of Object.keys(props.environment ?? {})) {
    if ((MANAGED_VARIABLES as readonly string[]).includes(name))
      fail('environment', `free of ${MANAGED_VARIABLES.join(', ')} (set through their own props)`, name);
    if (name.startsWith('AWS_')) fail('environment', 'free of AWS_* names (reserved by Lambda)', name);
  }
}

/** Six minutes, or the worst case of the ElastiCache waits when that is longer. */
function defaultTimeout(props: RotationFunctionProps): Duration {
  const timing = elastiCacheTiming(props);
  const base = ROTATION_FUNCTION_DEFAULTS.timeout;
  return timing && timing.worstCaseSeconds > base.toSeconds()
    ? Duration.seconds(timing.worstCaseSeconds)
    : base;
}

/** The ARN IAM matches a secret by: the full ARN when known, else the partial ARN and AWS's six-character suffix. */
function secretArnPattern(secret: secretsmanager.ISecret): string {
  return secret.secretFullArn ?? `${secret.secretArn}-??????`;
}

function describe(value: unknown): string {
  if (value === undefined) return 'undefined';
  return JSON.stringify(value);
}
