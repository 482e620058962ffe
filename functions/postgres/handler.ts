import { buildRotationFunction } from '../../shared/handler.ts';
import { postgresFunction } from './definition.ts';

export const { handler } = buildRotationFunction(postgresFunction);
