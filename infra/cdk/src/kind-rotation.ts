import * as ec2 from 'aws-cdk-lib/aws-ec2';
import type * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { attachRotation } from './attach-rotation.ts';
import { passwordEnvironmentOf } from './password-settings.ts';
import { KIND_FEATURES, type RotationKind } from './permissions.ts';
import { RotationFunction, type RotationFunctionProps } from './rotation-function.ts';
import type { RotationRulesSpec } from './rotation-rules.ts';

/** What the one-liners set themselves; the rest of `RotationFunctionProps` goes through `functionProps`. */
type OwnedProps =
  | 'kind'
  | 'vpc'
  | 'vpcSubnets'
  | 'securityGroups'
  | 'secretArnPatterns'
  | 'adminSecrets'
  | 'adminSecretArnPatterns';

export interface RotationBaseProps {
  /** The secret to rotate. Its KMS key (if any) is granted, only for this secret. */
  readonly secret: secretsmanager.ISecret;
  /** When to rotate. Default: every 90 days. */
  readonly schedule?: RotationRulesSpec;
  /** Rotate as soon as the schedule is created or changed. Default false. */
  readonly rotateImmediatelyOnUpdate?: boolean;
  /** The rest of the function: memory, timeout, alarms, log level, zip, environment. Default: the RotationFunction defaults. */
  readonly functionProps?: Omit<RotationFunctionProps, OwnedProps>;
}

export interface NetworkRotationProps extends RotationBaseProps {
  /** The database or cache (an RDS instance or cluster, or a security group of the cache): its security groups admit the function. */
  readonly target: ec2.IConnectable;
  /** The port to admit the function on. Default: the target's default port (an RDS instance or cluster has one; a security group does not). */
  readonly port?: number;
  /** The VPC of the target; the function runs in it. */
  readonly vpc: ec2.IVpc;
  /** Subnets for the function: they must reach the target and Secrets Manager. Default: the VPC's private subnets. */
  readonly vpcSubnets?: ec2.SubnetSelection;
  /** Security groups for the function. Default: one new group allowing all outbound traffic. */
  readonly securityGroups?: readonly ec2.ISecurityGroup[];
}

interface InternalProps {
  readonly kind: RotationKind;
  readonly environment: Readonly<Record<string, string>>;
  readonly adminSecret?: secretsmanager.ISecret;
  readonly network?: NetworkRotationProps;
}

/**
 * One rotated secret, the way `HostedRotation` does it: the function, the schedule on the
 * secret (with CDK's own protection: the account root may not delete a secret under
 * rotation), the grants of every secret it reads and their KMS keys, and, in a VPC, the
 * ingress rule from the function to the target.
 */
export abstract class KindRotation extends Construct implements ec2.IConnectable, iam.IGrantable {
  /** The function with its role and policies (`addSecretArn`, `grantRotation` for more secrets). */
  readonly rotationFunction: RotationFunction;
  /** The Lambda function as an `IFunction`. */
  readonly function: lambda.IFunction;
  readonly schedule: secretsmanager.CfnRotationSchedule;
  readonly grantPrincipal: iam.IPrincipal;

  protected constructor(scope: Construct, id: string, props: RotationBaseProps, internal: InternalProps) {
    super(scope, id);
    const network = internal.network;
    const passwords = KIND_FEATURES[internal.kind].passwords ? passwordEnvironmentOf(props.secret) : {};
    this.rotationFunction = new RotationFunction(this, 'Rotation', {
      ...props.functionProps,
      kind: internal.kind,
      ...(network
        ? {
            vpc: network.vpc,
            ...(network.vpcSubnets ? { vpcSubnets: network.vpcSubnets } : {}),
            ...(network.securityGroups ? { securityGroups: network.securityGroups } : {}),
          }
        : {}),
      ...(internal.adminSecret ? { adminSecrets: [internal.adminSecret] } : {}),
      // The secret's own password rules, then the caller's settings, then what this construct is for.
      environment: { ...passwords, ...props.functionProps?.environment, ...internal.environment },
    });
    this.function = this.rotationFunction.function;
    this.grantPrincipal = this.rotationFunction.grantPrincipal;
    this.schedule = attachRotation(props.secret, this.rotationFunction, {
      ...(props.schedule ? { schedule: props.schedule } : {}),
      ...(props.rotateImmediatelyOnUpdate !== undefined
        ? { rotateImmediatelyOnUpdate: props.rotateImmediatelyOnUpdate }
        : {}),
    });
    if (network) this.#admit(network);
  }

  /** The function's security groups. Only rotations that run in a VPC have them (JWT does not). */
  get connections(): ec2.Connections {
    return this.rotationFunction.connections;
  }

  #admit(network: NetworkRotationProps): void {
    const description = `${this.node.path} rotates credentials of this ${this.rotationFunction.kind} target`;
    if (network.port !== undefined) {
      network.target.connections.allowFrom(this.rotationFunction, ec2.Port.tcp(network.port), description);
      return;
    }
    if (network.target.connections.defaultPort === undefined)
      throw new Error(
        `${this.constructor.name} ${this.node.path}: props.port must be given for a target without a default port (e.g. a security group); received undefined`,
      );
    network.target.connections.allowDefaultPortFrom(this.rotationFunction, description);
  }
}

/** A JWT signing secret: no network, no password, no admin secret. */
export class JwtRotation extends KindRotation {
  constructor(scope: Construct, id: string, props: RotationBaseProps) {
    super(scope, id, props, { kind: 'jwt', environment: {} });
  }
}

/** PostgreSQL, one user changing its own password (AWS's single-user strategy). */
export class PostgresSingleUserRotation extends KindRotation {
  constructor(scope: Construct, id: string, props: NetworkRotationProps) {
    super(scope, id, props, {
      kind: 'postgres',
      environment: { PG_ROTATION_STRATEGY: 'single-user' },
      network: props,
    });
  }
}

export interface PostgresAlternatingUsersRotationProps extends NetworkRotationProps {
  /** The admin (master) secret that creates and alters the two users; the rotated secret names it in `masterarn`. Read only, with its KMS key (decrypt only). */
  readonly masterSecret: secretsmanager.ISecret;
  /** `clone` (AWS's `<user>`/`<user>_clone` pair) or `owner-role`. Default clone. */
  readonly naming?: 'clone' | 'owner-role';
}

/** PostgreSQL, two users taking turns, created and changed by the master user (AWS's alternating-users strategy). */
export class PostgresAlternatingUsersRotation extends KindRotation {
  constructor(scope: Construct, id: string, props: PostgresAlternatingUsersRotationProps) {
    super(scope, id, props, {
      kind: 'postgres',
      environment: {
        PG_ROTATION_STRATEGY: 'alternating-users',
        ...(props.naming ? { PG_ALTERNATING_NAMING: props.naming } : {}),
      },
      adminSecret: props.masterSecret,
      network: props,
    });
  }
}

export interface RedisAclRotationProps extends NetworkRotationProps {
  /** An admin secret whose user may change the rotated user's ACL (`adminSecretArn` in the secret). Default: the user changes its own password. */
  readonly adminSecret?: secretsmanager.ISecret;
}

/** Redis 6+ (self-managed): an ACL user with two passwords during the switch. */
export class RedisAclRotation extends KindRotation {
  constructor(scope: Construct, id: string, props: RedisAclRotationProps) {
    super(scope, id, props, {
      kind: 'redis',
      environment: { REDIS_MODE: 'acl' },
      ...(props.adminSecret ? { adminSecret: props.adminSecret } : {}),
      network: props,
    });
  }
}

export interface ElastiCacheRotationProps extends NetworkRotationProps {
  /** `auth-token`: the replication group's AUTH token (`replicationGroupId` in the secret); `user`: an RBAC user (`userId`). */
  readonly credential: 'auth-token' | 'user';
}

/**
 * ElastiCache for Redis: the replication group's AUTH token or an RBAC user's password,
 * through the ElastiCache API. The target is the cache's security group; give `port`.
 */
export class ElastiCacheRotation extends KindRotation {
  constructor(scope: Construct, id: string, props: ElastiCacheRotationProps) {
    if (props.credential !== 'auth-token' && props.credential !== 'user')
      throw new Error(
        `ElastiCacheRotation ${id}: props.credential must be auth-token or user; received ${JSON.stringify(props.credential)}`,
      );
    super(scope, id, props, {
      kind: 'redis',
      environment: {
        REDIS_MODE: props.credential === 'auth-token' ? 'elasticache-auth-token' : 'elasticache-user',
      },
      network: props,
    });
  }
}
