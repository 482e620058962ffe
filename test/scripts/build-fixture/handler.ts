/**
 * A stand-in rotation function for the build tests: the real core plus the target
 * libraries the real functions use (pg, ioredis, jose), so the bundle is realistic and
 * proves pg-native and other optional native modules are left out cleanly.
 */
import pg from 'pg';
import { Redis } from 'ioredis';
import { base64url } from 'jose';
import { buildRotationFunction, type FunctionDefinition } from '../../../shared/rotation-function.ts';
import { RotationError, ErrorCode } from '../../../shared/errors.ts';
import { Sensitive } from '../../../shared/sensitive.ts';

const notUsed = (): never => {
  throw new RotationError(ErrorCode.ERR_INTERNAL, 'The build fixture does not rotate anything');
};

export const fixtureFunction: FunctionDefinition<string, { readonly clients: readonly unknown[] }> = {
  kind: 'generic',
  readConfig: () => ({ clients: [pg.Client, Redis, base64url.encode('fixture')] }),
  createStrategy: () => ({
    kind: 'generic',
    parse: (secretString) => secretString.reveal(),
    serialize: (value) => new Sensitive(value),
    createPending: async () => notUsed(),
    setSecret: async () => notUsed(),
    testSecret: async () => notUsed(),
  }),
};

export const { handler } = buildRotationFunction(fixtureFunction);
