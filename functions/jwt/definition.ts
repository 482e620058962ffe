import { SecretKind } from '../../shared/constants.ts';
import type { FunctionDefinition } from '../../shared/rotation-function.ts';
import { readJwtConfig, type JwtConfig } from './jwt-config.ts';
import type { JwtSecret } from './jwt-secret.ts';
import { createJwtStrategy } from './jwt-strategy.ts';

/** JWT signing secrets: plain keys, JSON with named keys, or a `jwt-keyring/v1` keyring. */
export function defineJwtFunction(): FunctionDefinition<JwtSecret, JwtConfig> {
  return {
    kind: SecretKind.jwt,
    readConfig: readJwtConfig,
    createStrategy: ({ config, logger }) => createJwtStrategy({ config, logger }),
  };
}

export const jwtFunction = defineJwtFunction();
