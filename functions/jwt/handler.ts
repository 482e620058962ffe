import { buildRotationFunction } from '../../shared/handler.ts';
import { jwtFunction } from './definition.ts';

export const { handler } = buildRotationFunction(jwtFunction);
