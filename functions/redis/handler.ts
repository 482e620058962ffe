import { buildRotationFunction } from '../../shared/rotation-function.ts';
import { redisFunction } from './definition.ts';

export const { handler } = buildRotationFunction(redisFunction);
