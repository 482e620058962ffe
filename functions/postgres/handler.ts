import { buildRotationFunction } from '../../shared/rotation-function.ts';
import { postgresFunction } from './definition.ts';

export const { handler } = buildRotationFunction(postgresFunction);
