import { Input } from './input.ts';
import { nextRotationMs, readRotationRules, withComputedDays } from './rotation-schedule.ts';
import {
  AWSCURRENT,
  AWSPENDING,
  findVersion,
  hasValue,
  removeStage,
  versionWithStage,
} from './secret-record.ts';
import {
  invalidParameter,
  invalidRequest,
  resourceExists,
  ServiceError,
  ServiceErrorType,
} from './service-error.ts';
import { SecretStore, sameTokenMessage, type Output } from './store.ts';

export const ROTATION_STEPS = ['createSecret', 'setSecret', 'testSecret', 'finishSecret'] as const;
export type RotationStep = (typeof ROTATION_STEPS)[number];

/** What RotateSecret hands to the runner once the state is in place. */
export interface RotationPlan {
  readonly secretArn: string;
  readonly region: string;
  readonly token: string;
  readonly lambdaArn: string;
  /** false: RotateImmediately=false, test the configuration only (R7). */
  readonly immediate: boolean;
  readonly steps: readonly RotationStep[];
}

const NOT_COMPLETE = "A previous rotation isn't complete. That rotation will be reattempted.";
const CANNOT_INVOKE =
  'Secrets Manager cannot invoke the specified Lambda function. Ensure that the function policy grants access to the principal secretsmanager.amazonaws.com.';

/**
 * RotateSecret's synchronous half (R1-R7, R12): validate, check state before the Lambda
 * (open question: state first), store the configuration, create the AWSPENDING version,
 * and return the response with the plan the runner carries out.
 */
export function startRotation(
  store: SecretStore,
  body: Record<string, unknown>,
  canInvoke: (lambdaArn: string) => boolean,
  checkIdle: (secretArn: string) => void = () => undefined,
): { output: Output; plan: RotationPlan } {
  const input = new Input(body);
  const secretId = input.secretId();
  const token = input.string('ClientRequestToken', { min: 32, max: 64 });
  if (token === undefined)
    throw invalidParameter('You must provide a ClientRequestToken value. We recommend a UUID-type value.'); // W10
  const lambdaInput = input.string('RotationLambdaARN', { max: 2048 });
  const rules = readRotationRules(input.object('RotationRules'));
  const immediate = input.boolean('RotateImmediately') ?? true;
  return store.mutate(secretId, (secret, helpers) => {
    helpers.requireActive(); // R1
    const lambdaArn = lambdaInput ?? secret.rotationLambdaArn;
    if (lambdaArn === undefined)
      throw invalidRequest('No Lambda rotation function ARN is associated with this secret.'); // R2
    const pending = versionWithStage(secret, AWSPENDING);
    const current = versionWithStage(secret, AWSCURRENT);
    if (pending && pending !== current) throw invalidRequest(NOT_COMPLETE); // R3
    checkIdle(secret.arn);
    if (!canInvoke(lambdaArn)) throw new ServiceError(ServiceErrorType.AccessDeniedException, CANNOT_INVOKE); // R12
    if (findVersion(secret, token)) throw resourceExists(sameTokenMessage(token, secret.arn));
    if (!immediate && (!current || !hasValue(current))) {
      throw invalidRequest(
        `Secret ${secret.arn} has no AWSCURRENT value to test the rotation configuration with.`,
      );
    }
    // R6: the placeholder has no value; R7: a copy of the current value to test with.
    // Attaching AWSPENDING takes it off the current version if it was left there.
    helpers.addVersion(token, immediate ? undefined : SecretStore.valueOf(current!), [AWSPENDING]);
    secret.rotationEnabled = true; // R5
    secret.rotationLambdaArn = lambdaArn;
    if (rules) secret.rotationRules = rules;
    if (!immediate) secret.nextRotationMs = nextRotationMs(secret.rotationRules, helpers.now);
    return {
      output: { ARN: secret.arn, Name: secret.name, VersionId: token },
      plan: {
        secretArn: secret.arn,
        region: store.region,
        token,
        lambdaArn,
        immediate,
        steps: immediate ? ROTATION_STEPS : ['testSecret'],
      },
    };
  });
}

/**
 * After the last step (R11). A rotation succeeded when the token now holds AWSCURRENT;
 * the service then removes AWSPENDING and sets LastRotatedDate and NextRotationDate.
 * A test-only run (R7) always takes its copy away again. Returns whether the rotation
 * reached its end state; a secret deleted meanwhile counts as not reached.
 */
export function completeRotation(store: SecretStore, plan: RotationPlan): boolean {
  if (!store.find(plan.secretArn)) return false;
  return store.mutate(plan.secretArn, (secret, helpers) => {
    if (!plan.immediate) {
      secret.versions = secret.versions.filter((version) => version.versionId !== plan.token);
      return true;
    }
    const version = findVersion(secret, plan.token);
    if (!version?.stages.includes(AWSCURRENT)) return false;
    for (const each of secret.versions) removeStage(each, AWSPENDING);
    secret.lastRotatedMs = helpers.now;
    if (secret.rotationRules) secret.rotationRules = withComputedDays(secret.rotationRules);
    secret.nextRotationMs = nextRotationMs(secret.rotationRules, helpers.now);
    return true;
  });
}

/** A test-only run that failed still removes its copy (R7). */
export function abandonRotation(store: SecretStore, plan: RotationPlan): void {
  if (plan.immediate || !store.find(plan.secretArn)) return;
  completeRotation(store, plan);
}

/** CancelRotateSecret (X1): rotation off, labels untouched; returns the cancelled rotation's version. */
export function cancelRotation(store: SecretStore, body: Record<string, unknown>): Output {
  const input = new Input(body);
  const secretId = input.secretId();
  return store.mutate(secretId, (secret, helpers) => {
    helpers.requireActive();
    secret.rotationEnabled = false;
    delete secret.nextRotationMs;
    const pending = versionWithStage(secret, AWSPENDING);
    const current = versionWithStage(secret, AWSCURRENT);
    return {
      ARN: secret.arn,
      Name: secret.name,
      ...(pending && pending !== current ? { VersionId: pending.versionId } : {}),
    };
  });
}
