export * from './permissions.ts';
export * from './rotation-schedule.ts';
export * from './rotation-function.ts';
export * from './attach-rotation.ts';
