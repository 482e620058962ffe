export * from './permissions.ts';
export * from './rotation-rules.ts';
export * from './rotation-function.ts';
export * from './attach-rotation.ts';
