export { startEmulator, type Emulator, type EmulatorOptions } from './emulator.ts';
export type { FunctionOptions, FunctionTarget, InProcessFunction } from './function-registry.ts';
export type { LambdaContext } from './lambda-types.ts';
export type { RotationOutcome, RotationRecord, StepRecord } from './rotation-runner.ts';
export { generatePassword, type PasswordRules } from './random-password.ts';
export { SecretStore, type Clock, type StoreOptions } from './store.ts';
export { ServiceError, ServiceErrorType } from './service-error.ts';
export { InvocationError } from './function-pool.ts';
export type { InvocationErrorInfo } from './lambda-types.ts';
