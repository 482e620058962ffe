import { Stack, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { describe, expect, it } from 'vitest';
import { RotationExampleStack } from '../../../infra/cdk/example/example-stack.ts';
import { RotationFunction } from '../../../infra/cdk/src/rotation-function.ts';
import { fakeZip, newApp } from './cdk-fixtures.ts';

const zipPaths = { jwt: fakeZip('jwt'), postgres: fakeZip('postgres'), redis: fakeZip('redis') };

function findings(report: ReturnType<AwsSolutionsChecks['validateScope']>): string[] {
  return report.violations.map(
    (v) =>
      `${v.ruleName} at ${v.violatingResources.map((r) => r.constructPath ?? r.resourceLogicalId).join(', ')}`,
  );
}

describe('example app', () => {
  it('passes cdk-nag AwsSolutions checks with only the justified acknowledgements the construct makes', () => {
    const app = newApp();
    new RotationExampleStack(app, 'Example', { zipPaths });
    const report = new AwsSolutionsChecks(app).validateScope(app);
    expect(findings(report)).toEqual([]);
    expect(report.success).toBe(true);
  });

  it('still reports a wildcard the caller chose, which the construct does not acknowledge', () => {
    const app = newApp();
    const stack = new Stack(app, 'Wild', { env: { account: '123456789012', region: 'eu-west-1' } });
    new RotationFunction(stack, 'Rotation', {
      kind: 'postgres',
      zipPath: zipPaths.postgres,
      secretArnPatterns: ['arn:aws:secretsmanager:eu-west-1:123456789012:secret:prod/*'],
    });
    const report = new AwsSolutionsChecks(app).validateScope(app);
    expect(findings(report)).toEqual([
      'AwsSolutions-IAM5[Resource::arn:aws:secretsmanager:eu-west-1:123456789012:secret:prod/*] at Wild/Rotation/RotationPolicy/Resource',
    ]);
  });

  it('synthesises with CDK built-in CloudFormation validation and the cdk-nag plugin registered (the one slow synth)', () => {
    const app = newApp({ validation: true });
    new RotationExampleStack(app, 'Example', { zipPaths });
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
    const assembly = app.synth();
    const template = assembly.getStackByName('Example').template as {
      Resources: Record<string, { Type: string }>;
    };
    const types = Object.values(template.Resources).map((r) => r.Type);
    expect(types.filter((type) => type === 'AWS::Lambda::Function')).toHaveLength(3);
    expect(types.filter((type) => type === 'AWS::SecretsManager::RotationSchedule')).toHaveLength(3);
    expect(types.filter((type) => type === 'AWS::Lambda::Permission')).toHaveLength(3);
  }, 60_000);
});
