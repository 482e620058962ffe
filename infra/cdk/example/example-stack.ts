import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as sns from 'aws-cdk-lib/aws-sns';
import type { Construct } from 'constructs';
import { attachRotation } from '../src/attach-rotation.ts';
import { RotationFunction } from '../src/rotation-function.ts';
import { RotationRules } from '../src/rotation-rules.ts';

/** The zip `npm run build` writes for a kind in this checkout: dist/<kind>.zip. */
function checkoutZip(kind: 'jwt' | 'postgres' | 'redis'): string {
  return path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../dist', `${kind}.zip`);
}

export interface RotationExampleStackProps extends StackProps {
  /** Zip of each kind. Default: dist/<kind>.zip (run `npm run build` first). */
  readonly zipPaths?: { readonly jwt?: string; readonly postgres?: string; readonly redis?: string };
  /** Where alarms go (an email subscription is up to you). Default: a new encrypted topic. */
  readonly alarmTopicArn?: string;
}

/**
 * The three rotation functions against example secrets: a JWT signing key (plain
 * string), PostgreSQL credentials (AWS's JSON shape) and a Redis ACL user (JSON), all
 * encrypted with one customer managed key. PostgreSQL and Redis run in private isolated
 * subnets that reach Secrets Manager, RDS and ElastiCache through interface endpoints.
 * Replace the example secrets' host names with your own before the first rotation.
 */
export class RotationExampleStack extends Stack {
  readonly functions: {
    readonly jwt: RotationFunction;
    readonly postgres: RotationFunction;
    readonly redis: RotationFunction;
  };

  constructor(scope: Construct, id: string, props: RotationExampleStackProps = {}) {
    super(scope, id, props);
    const key = new kms.Key(this, 'SecretsKey', {
      enableKeyRotation: true,
      description: 'Encrypts the example rotated secrets',
      removalPolicy: RemovalPolicy.DESTROY,
    });
    const topic = props.alarmTopicArn
      ? sns.Topic.fromTopicArn(this, 'Alarms', props.alarmTopicArn)
      : new sns.Topic(this, 'Alarms', {
          displayName: 'Secret rotation alarms',
          enforceSSL: true,
          masterKey: key,
        });

    const vpc = new ec2.Vpc(this, 'Vpc', {
      maxAzs: 2,
      natGateways: 0,
      subnetConfiguration: [{ name: 'isolated', subnetType: ec2.SubnetType.PRIVATE_ISOLATED, cidrMask: 24 }],
      flowLogs: { all: { trafficType: ec2.FlowLogTrafficType.REJECT } },
    });
    // The functions' own security group; the endpoints admit only it (not the whole VPC).
    const functionsGroup = new ec2.SecurityGroup(this, 'RotationFunctions', {
      vpc,
      description: 'Rotation functions (PostgreSQL, Redis)',
      allowAllOutbound: true,
    });
    for (const [name, service] of [
      ['SecretsManager', ec2.InterfaceVpcEndpointAwsService.SECRETS_MANAGER],
      ['Rds', ec2.InterfaceVpcEndpointAwsService.RDS],
      ['ElastiCache', ec2.InterfaceVpcEndpointAwsService.ELASTICACHE],
    ] as const) {
      const endpoint = vpc.addInterfaceEndpoint(`${name}Endpoint`, {
        service,
        privateDnsEnabled: true,
        open: false,
      });
      endpoint.connections.allowDefaultPortFrom(
        functionsGroup,
        'Rotation functions reach the AWS API over HTTPS',
      );
    }

    const jwtSecret = new secretsmanager.Secret(this, 'JwtSigningSecret', {
      description: 'Example JWT signing key (plain string)',
      encryptionKey: key,
      generateSecretString: { passwordLength: 88, excludePunctuation: true },
    });
    const postgresSecret = new secretsmanager.Secret(this, 'PostgresAppSecret', {
      description: 'Example PostgreSQL credentials (AWS JSON shape)',
      encryptionKey: key,
      generateSecretString: {
        secretStringTemplate: JSON.stringify({
          engine: 'postgres',
          host: 'db.example.internal',
          port: 5432,
          username: 'app',
          dbname: 'app',
        }),
        generateStringKey: 'password',
        excludeCharacters: ':/@"\'\\',
      },
    });
    const redisSecret = new secretsmanager.Secret(this, 'RedisAppSecret', {
      description: 'Example Redis ACL user (JSON)',
      encryptionKey: key,
      generateSecretString: {
        secretStringTemplate: JSON.stringify({
          host: 'cache.example.internal',
          port: 6379,
          username: 'app',
          tls: true,
        }),
        generateStringKey: 'password',
        excludeCharacters: '@"/',
      },
    });

    const inVpc = {
      vpc,
      vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_ISOLATED },
      securityGroups: [functionsGroup],
    };
    const jwt = new RotationFunction(this, 'JwtRotation', {
      kind: 'jwt',
      zipPath: props.zipPaths?.jwt ?? checkoutZip('jwt'),
      alarmTopic: topic,
    });
    const postgres = new RotationFunction(this, 'PostgresRotation', {
      kind: 'postgres',
      zipPath: props.zipPaths?.postgres ?? checkoutZip('postgres'),
      alarmTopic: topic,
      ...inVpc,
    });
    const redis = new RotationFunction(this, 'RedisRotation', {
      kind: 'redis',
      zipPath: props.zipPaths?.redis ?? checkoutZip('redis'),
      alarmTopic: topic,
      ...inVpc,
    });
    this.functions = { jwt, postgres, redis };

    attachRotation(jwtSecret, jwt);
    attachRotation(postgresSecret, postgres, { schedule: RotationRules.cron('0 3 ? * SUN *', 3) });
    attachRotation(redisSecret, redis, { schedule: RotationRules.everyDays(30) });
  }
}
