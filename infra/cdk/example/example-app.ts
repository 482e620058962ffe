/**
 * Example CDK app: all three rotation functions against example secrets.
 *   npm run build
 *   cd infra/cdk/example && npx aws-cdk@2 deploy   (cdk.json runs this file with tsx)
 */
import { App } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { Validations } from 'aws-cdk-lib';
import { RotationExampleStack } from './example-stack.ts';

const app = new App();
new RotationExampleStack(app, 'SecretsRotationExample', {
  description: 'Secrets Manager rotation functions (sm-rotation-functions example)',
});
Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
app.synth();
