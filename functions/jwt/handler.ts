import { buildRotationFunction } from '../../shared/rotation-function.ts';
import { jwtFunction } from './definition.ts';

export const { handler } = buildRotationFunction(jwtFunction);
