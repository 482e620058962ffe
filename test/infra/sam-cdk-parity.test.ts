import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { beforeAll, describe, expect, it } from 'vitest';
import { RotationFunction } from '../../infra/cdk/src/rotation-function.ts';
import { TARGET_TAG_KEY, type RotationKind } from '../../infra/cdk/src/permissions.ts';
import {
  actionsOf,
  loadCfnYaml,
  roleActions,
  roleStatements,
  type CfnTemplate,
  type PolicyStatement,
} from './cfn-template.ts';
import { ACCOUNT, fakeZip, logicalId, newStack, REGION, templateOf } from './cdk/cdk-fixtures.ts';

const rootDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const KINDS: readonly { kind: RotationKind; id: string }[] = [
  { kind: 'jwt', id: 'Jwt' },
  { kind: 'postgres', id: 'Postgres' },
  { kind: 'redis', id: 'Redis' },
];

/** Sid -> sorted actions. */
const bySid = (statements: readonly PolicyStatement[]): Record<string, string[]> =>
  Object.fromEntries(statements.map((s) => [s.Sid ?? '?', [...actionsOf(s)].sort()]));

/** The CDK construct with every option the SAM template has a parameter for turned on. */
function cdkWithEverything(kind: RotationKind): CfnTemplate {
  const { stack } = newStack();
  const vpc = ec2.Vpc.fromVpcAttributes(stack, 'Vpc', {
    vpcId: 'vpc-1',
    availabilityZones: [`${REGION}a`],
    privateSubnetIds: ['subnet-1'],
  });
  const secretArn = (name: string): string =>
    `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:${name}-AbCdEf`;
  new RotationFunction(stack, 'Rotation', {
    kind,
    zipPath: fakeZip(kind),
    // As in SAM, only the functions with a network target run in the VPC.
    ...(kind === 'jwt' ? {} : { vpc }),
    secretArnPatterns: [secretArn('app')],
    kmsKeyArns: [`arn:aws:kms:${REGION}:${ACCOUNT}:key/1111`],
    replicaRegions: ['us-west-2'],
    ...(kind === 'jwt'
      ? {}
      : {
          adminSecretArnPatterns: [secretArn('admin')],
          adminKmsKeyArns: [`arn:aws:kms:${REGION}:${ACCOUNT}:key/2222`],
        }),
    ...(kind === 'postgres'
      ? {
          rdsResourceArns: [`arn:aws:rds:${REGION}:${ACCOUNT}:cluster:aurora`],
          breakGlassResourceArns: [`arn:aws:rds:${REGION}:${ACCOUNT}:db:main`],
        }
      : {}),
    // SAM's RotationTargetTagValue uses this key.
    targetTag: { key: TARGET_TAG_KEY, value: 'payments' },
    ...(kind === 'redis'
      ? { elastiCacheReplicationGroupIds: ['prod-rg'], elastiCacheUserIds: ['prod-user'] }
      : {}),
  });
  return templateOf(stack).json;
}

describe('SAM and CDK grant the same permissions', () => {
  let sam: CfnTemplate;

  beforeAll(async () => {
    sam = await loadCfnYaml(path.join(rootDir, 'infra/template.yaml'));
  });

  it.each(KINDS)('grants the $kind function the same action set, statement by statement', ({ kind, id }) => {
    const cdk = cdkWithEverything(kind);
    const cdkRole = logicalId(cdk, 'AWS::IAM::Role', 'RotationRole');
    expect(roleActions(cdk, cdkRole)).toEqual(roleActions(sam, `${id}Role`));
    expect(bySid(roleStatements(cdk, cdkRole))).toEqual(bySid(roleStatements(sam, `${id}Role`)));
  });

  it.each(KINDS)('puts the same condition keys on each $kind statement', ({ kind, id }) => {
    // SAM chooses a Modify statement's conditions with !If HasTargetTag: every option is on here.
    const chosen = (condition: unknown): Record<string, Record<string, unknown>> => {
      const branches = (condition as { 'Fn::If'?: unknown[] } | undefined)?.['Fn::If'];
      return (branches ? branches[1] : (condition ?? {})) as Record<string, Record<string, unknown>>;
    };
    const conditionKeys = (statements: readonly PolicyStatement[]): Record<string, string[]> =>
      Object.fromEntries(
        statements.map((s) => [
          s.Sid ?? '?',
          Object.entries(chosen(s.Condition))
            .flatMap(([operator, keys]) => Object.keys(keys).map((key) => `${operator}:${key}`))
            .sort(),
        ]),
      );
    const cdk = cdkWithEverything(kind);
    expect(conditionKeys(roleStatements(cdk, logicalId(cdk, 'AWS::IAM::Role', 'RotationRole')))).toEqual(
      conditionKeys(roleStatements(sam, `${id}Role`)),
    );
  });

  it.each(KINDS.filter(({ kind }) => kind !== 'jwt'))(
    'gives the $kind Modify statements the same condition values (the tag, the kept authentication)',
    ({ kind, id }) => {
      const cdk = cdkWithEverything(kind);
      const modify = [
        'BreakGlassResetMasterPassword',
        'RotateElastiCacheAuthTokens',
        'RotateElastiCacheUsers',
      ];
      const values = (statements: readonly PolicyStatement[], tag: unknown) =>
        Object.fromEntries(
          statements
            .filter((s) => modify.includes(s.Sid ?? ''))
            .map((s) => {
              const branches = (s.Condition as { 'Fn::If'?: unknown[] } | undefined)?.['Fn::If'];
              const condition = JSON.stringify(branches ? branches[1] : s.Condition);
              return [s.Sid, JSON.parse(condition.replace(JSON.stringify(tag), '"<tag>"')) as unknown];
            }),
        );
      expect(
        values(roleStatements(cdk, logicalId(cdk, 'AWS::IAM::Role', 'RotationRole')), 'payments'),
      ).toEqual(values(roleStatements(sam, `${id}Role`), { Ref: 'RotationTargetTagValue' }));
    },
  );
});
