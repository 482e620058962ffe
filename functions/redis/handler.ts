import { buildRotationFunction } from '../../shared/handler.ts';
import { redisFunction } from './definition.ts';

export const { handler } = buildRotationFunction(redisFunction);
