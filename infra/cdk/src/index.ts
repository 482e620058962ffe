export * from './permissions.ts';
export * from './rotation-rules.ts';
export * from './rotation-function.ts';
export * from './attach-rotation.ts';
export * from './kind-rotation.ts';
export { passwordEnvironmentOf } from './password-settings.ts';
