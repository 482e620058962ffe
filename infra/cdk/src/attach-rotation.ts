import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { CfnRotationSchedule } from 'aws-cdk-lib/aws-secretsmanager';
import type { RotationFunction } from './rotation-function.ts';
import { DEFAULT_ROTATION_RULES, type RotationRulesSpec } from './rotation-rules.ts';

export interface AttachRotationOptions {
  /** When to rotate. Default: every 90 days (`RotationRules.everyDays(90)`). */
  readonly schedule?: RotationRulesSpec;
  /** Rotate as soon as the schedule is created or changed. Default false (wait for the next window). */
  readonly rotateImmediatelyOnUpdate?: boolean;
}

export const ATTACHED_SCHEDULE_ID = 'RotationFunctionSchedule';

/**
 * Attach `fn` to `secret` with a schedule: grants the function the secret (and its KMS
 * key), creates the secret's rotation schedule once the permissions exist, and, as CDK's
 * own rotation schedule does, denies the account root DeleteSecret in the secret's
 * resource policy (a secret created in this app; an imported one has no policy to add to). Uses the
 * L1 schedule on purpose: `secret.addRotationSchedule` would add its own, broader grants
 * (without the AllowRotationLambdaArn condition) to the function's role.
 */
export function attachRotation(
  secret: secretsmanager.ISecret,
  fn: RotationFunction,
  options: AttachRotationOptions = {},
): CfnRotationSchedule {
  if (secret.node.tryFindChild(ATTACHED_SCHEDULE_ID)) {
    throw new Error(
      `attachRotation: secret ${secret.node.path} already has a rotation schedule; a secret has one rotation function`,
    );
  }
  const schedule = options.schedule ?? DEFAULT_ROTATION_RULES;
  fn.grantRotation(secret);
  secret.denyAccountRootDelete();
  const resource = new CfnRotationSchedule(secret, ATTACHED_SCHEDULE_ID, {
    secretId: secret.secretArn,
    rotationLambdaArn: fn.functionArn,
    rotateImmediatelyOnUpdate: options.rotateImmediatelyOnUpdate ?? false,
    rotationRules: {
      scheduleExpression: schedule.expression,
      ...(schedule.duration ? { duration: schedule.duration } : {}),
    },
  });
  // The first rotation may start at once: the function must already be allowed to run it.
  resource.node.addDependency(fn.rotationPolicy, fn.invokePermission);
  return resource;
}
