/** Staging labels, steps and kinds, in AWS's own words. */

export const Stage = {
  AWSCURRENT: 'AWSCURRENT',
  AWSPENDING: 'AWSPENDING',
  AWSPREVIOUS: 'AWSPREVIOUS',
} as const;
export type Stage = (typeof Stage)[keyof typeof Stage];

export const Step = {
  createSecret: 'createSecret',
  setSecret: 'setSecret',
  testSecret: 'testSecret',
  finishSecret: 'finishSecret',
} as const;
export type Step = (typeof Step)[keyof typeof Step];
export const STEPS: readonly Step[] = Object.freeze(Object.values(Step));

export const SecretKind = {
  jwt: 'jwt',
  postgres: 'postgres',
  redis: 'redis',
} as const;
export type SecretKind = (typeof SecretKind)[keyof typeof SecretKind];

/**
 * The name of a function's kind as the core sees it: a label for logs and metric dimensions.
 * The core never branches on it, so it does not enumerate the kinds.
 */
export type KindName = string;

/** Tag an operator puts on a secret to ask for a revoking (emergency) rotation. */
export const ROTATION_MODE_TAG = 'RotationMode';
export const ROTATION_MODE_EMERGENCY = 'emergency';

/** Printed in place of any secret value. */
export const REDACTED = '[redacted]';
