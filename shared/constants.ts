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
  /** Used by the core's own tests and the template-style fake strategy. */
  generic: 'generic',
} as const;
export type SecretKind = (typeof SecretKind)[keyof typeof SecretKind];

/** Tag an operator puts on a secret to ask for a revoking (emergency) rotation. */
export const ROTATION_MODE_TAG = 'RotationMode';
export const ROTATION_MODE_EMERGENCY = 'emergency';

/** Printed in place of any secret value. */
export const REDACTED = '[redacted]';
