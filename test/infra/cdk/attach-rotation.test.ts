import { Match } from 'aws-cdk-lib/assertions';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { describe, expect, it } from 'vitest';
import { attachRotation } from '../../../infra/cdk/src/attach-rotation.ts';
import { RotationFunction } from '../../../infra/cdk/src/rotation-function.ts';
import { RotationRules } from '../../../infra/cdk/src/rotation-rules.ts';
import { roleStatements } from '../cfn-template.ts';
import { ACCOUNT, fakeZip, logicalId, newStack, REGION, templateOf } from './cdk-fixtures.ts';

describe('attachRotation', () => {
  it('schedules the secret every 90 days by default, after the function may run the rotation', () => {
    const { stack } = newStack();
    const secret = new secretsmanager.Secret(stack, 'AppSecret');
    const fn = new RotationFunction(stack, 'Rotation', { kind: 'postgres', zipPath: fakeZip('postgres') });
    attachRotation(secret, fn);
    const { template, json } = templateOf(stack);
    const functionId = logicalId(json, 'AWS::Lambda::Function', 'RotationFunction');
    const scheduleId = logicalId(json, 'AWS::SecretsManager::RotationSchedule', 'AppSecret');
    template.hasResourceProperties('AWS::SecretsManager::RotationSchedule', {
      SecretId: { Ref: logicalId(json, 'AWS::SecretsManager::Secret', 'AppSecret') },
      RotationLambdaARN: { 'Fn::GetAtt': [functionId, 'Arn'] },
      RotateImmediatelyOnUpdate: false,
      RotationRules: { ScheduleExpression: 'rate(90 days)', Duration: Match.absent() },
    });
    expect(json.Resources[scheduleId]?.DependsOn).toEqual(
      expect.arrayContaining([
        logicalId(json, 'AWS::IAM::Policy', 'RotationRotationPolicy'),
        logicalId(json, 'AWS::Lambda::Permission', 'RotationInvokePermission'),
      ]),
    );
  });

  it('grants exactly the attached secret and its KMS key, and nothing through the role default policy', () => {
    const { stack } = newStack();
    const key = new kms.Key(stack, 'Key');
    const secret = new secretsmanager.Secret(stack, 'AppSecret', { encryptionKey: key });
    const fn = new RotationFunction(stack, 'Rotation', { kind: 'jwt', zipPath: fakeZip('jwt') });
    attachRotation(secret, fn, {
      schedule: RotationRules.cron('0 3 ? * SUN *', 3),
      rotateImmediatelyOnUpdate: true,
    });
    const { template, json } = templateOf(stack);
    const secretRef = { Ref: logicalId(json, 'AWS::SecretsManager::Secret', 'AppSecret') };
    const statements = roleStatements(json, logicalId(json, 'AWS::IAM::Role', 'RotationRole'));
    expect(statements.find((s) => s.Sid === 'RotateSecretsThatNameThisFunction')?.Resource).toEqual(
      secretRef,
    );
    expect(statements.find((s) => s.Sid === 'ClearEmergencyTag')?.Resource).toEqual(secretRef);
    expect(statements.find((s) => s.Sid === 'UseSecretsKeyThroughSecretsManager')).toMatchObject({
      Resource: { 'Fn::GetAtt': [logicalId(json, 'AWS::KMS::Key', 'Key'), 'Arn'] },
      Condition: {
        StringEquals: { 'kms:ViaService': `secretsmanager.${REGION}.amazonaws.com` },
        StringLike: { 'kms:EncryptionContext:SecretARN': [secretRef] },
      },
    });
    template.resourceCountIs('AWS::IAM::Policy', 1);
    template.hasResourceProperties('AWS::SecretsManager::RotationSchedule', {
      RotateImmediatelyOnUpdate: true,
      RotationRules: { ScheduleExpression: 'cron(0 3 ? * SUN *)', Duration: '3h' },
    });
  });

  it('grants an imported secret by its name pattern, as partial ARNs need', () => {
    const { stack } = newStack();
    const secret = secretsmanager.Secret.fromSecretNameV2(stack, 'Imported', 'prod/jwt');
    const fn = new RotationFunction(stack, 'Rotation', { kind: 'jwt', zipPath: fakeZip('jwt') });
    attachRotation(secret, fn);
    const { json } = templateOf(stack);
    const rotate = roleStatements(json, logicalId(json, 'AWS::IAM::Role', 'RotationRole')).find(
      (s) => s.Sid === 'RotateSecretsThatNameThisFunction',
    );
    expect(JSON.stringify(rotate?.Resource)).toContain(
      `:secretsmanager:${REGION}:${ACCOUNT}:secret:prod/jwt-??????`,
    );
  });

  it('adds every attached secret to the one statement', () => {
    const { stack } = newStack();
    const fn = new RotationFunction(stack, 'Rotation', { kind: 'redis', zipPath: fakeZip('redis') });
    attachRotation(new secretsmanager.Secret(stack, 'One'), fn);
    attachRotation(new secretsmanager.Secret(stack, 'Two'), fn);
    const { json } = templateOf(stack);
    const rotate = roleStatements(json, logicalId(json, 'AWS::IAM::Role', 'RotationRole')).filter(
      (s) => s.Sid === 'RotateSecretsThatNameThisFunction',
    );
    expect(rotate).toHaveLength(1);
    expect(rotate[0]?.Resource).toEqual([
      { Ref: logicalId(json, 'AWS::SecretsManager::Secret', 'One') },
      { Ref: logicalId(json, 'AWS::SecretsManager::Secret', 'Two') },
    ]);
  });

  it('refuses a second schedule on the same secret', () => {
    const { stack } = newStack();
    const secret = new secretsmanager.Secret(stack, 'AppSecret');
    const jwt = new RotationFunction(stack, 'Jwt', { kind: 'jwt', zipPath: fakeZip('jwt') });
    attachRotation(secret, jwt);
    expect(() => attachRotation(secret, jwt)).toThrow(
      'attachRotation: secret TestStack/AppSecret already has a rotation schedule; a secret has one rotation function',
    );
  });
});

describe('RotationRules', () => {
  it('builds rate and cron expressions with windows', () => {
    expect(RotationRules.everyDays(30)).toEqual({ expression: 'rate(30 days)' });
    expect(RotationRules.cron(' 0 3 ? * SUN * ', 3)).toEqual({
      expression: 'cron(0 3 ? * SUN *)',
      duration: '3h',
    });
    expect(RotationRules.cron('0 3 ? * SUN *')).toEqual({ expression: 'cron(0 3 ? * SUN *)' });
  });

  it('names the argument and the value it rejects', () => {
    expect(() => RotationRules.everyDays(0)).toThrow(
      'RotationRules.everyDays: days must be an integer from 1 to 999; received 0',
    );
    expect(() => RotationRules.cron('0 3 * * SUN')).toThrow(
      'RotationRules.cron: expression must have 6 fields (minutes hours day-of-month month day-of-week year); received "0 3 * * SUN"',
    );
    expect(() => RotationRules.cron('0 3 ? * SUN *', 25)).toThrow(
      'RotationRules.cron: windowHours must be an integer from 1 to 24; received 25',
    );
  });
});
