import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { EnvReader, type Env } from '../../shared/config.ts';
import { readCoreConfig } from '../../shared/core-config.ts';
import { isRotationError } from '../../shared/errors.ts';
import type { Log } from '../../shared/observability.ts';
import { secretsManagerPasswordGenerator } from '../../shared/password.ts';
import type { FunctionDefinition } from '../../shared/rotation-function.ts';
import { createSdkSecretsPort } from '../../shared/sdk-secrets-port.ts';
import type { SecretsPort } from '../../shared/secrets-port.ts';
import { Sensitive } from '../../shared/sensitive.ts';
import type { RotationContext, RotationStrategy } from '../../shared/strategy.ts';
import { defineJwtFunction } from '../../functions/jwt/definition.ts';
import { definePostgresFunction } from '../../functions/postgres/definition.ts';
import { defineRedisFunction } from '../../functions/redis/definition.ts';

/**
 * The kinds' own strategies, built in the CLI so `rotation repair` asks the target the
 * same way the function does: which stored credential logs in (the per-strategy probe),
 * the function's own testSecret before a finish, its own setSecret (pending and current
 * swapped) for a roll back. Configuration comes from the CLI's environment with the
 * function's variable names (PG_SSL_MODE, REDIS_TLS_..., PG_TEST_QUERY), defaults as the
 * function's. A credential is only ever sent to the host its own secret names.
 */

export const PROBE_KINDS = ['jwt', 'postgres', 'redis'] as const;
export type ProbeKind = (typeof PROBE_KINDS)[number];

export type ProbeVerdict = 'logs-in' | 'refused' | 'no-target' | 'unknown';

export interface ProbeResult {
  readonly verdict: ProbeVerdict;
  /** Why the probe could not tell (an ERR_* code, never a value). */
  readonly errorCode?: string;
}

export interface KindTools {
  readonly kind: ProbeKind;
  /** Parse a stored value; throws a RotationError naming the problem. */
  parse(secretString: string, versionId: string): unknown;
  probe(value: unknown): Promise<ProbeResult>;
  /** The function's testSecret on `pending` (read-only). */
  test(input: ToolInput): Promise<void>;
  /** The function's setSecret: make `pending` the credential on the target. */
  set(input: ToolInput): Promise<void>;
  readonly hasTarget: boolean;
}

export interface ToolInput {
  readonly secretArn: string;
  readonly secretName: string;
  readonly current: unknown;
  readonly pending: unknown;
  readonly currentVersionId: string;
  readonly pendingVersionId: string;
}

const definitions: Record<ProbeKind, () => FunctionDefinition<unknown, object>> = {
  jwt: () => defineJwtFunction() as unknown as FunctionDefinition<unknown, object>,
  postgres: () => definePostgresFunction() as unknown as FunctionDefinition<unknown, object>,
  redis: () => defineRedisFunction() as unknown as FunctionDefinition<unknown, object>,
};

/** Logs nothing: the CLI reports outcomes itself, and a driver's log line must not reach the terminal. */
const silentLog: Log = {
  debug() {},
  info() {},
  warn() {},
  error() {},
  appendKeys() {},
};

export function kindTools(kind: ProbeKind, client: SecretsManagerClient, env: Env): KindTools {
  const definition = definitions[kind]();
  const reader = new EnvReader(env);
  const core = readCoreConfig(reader, definition.passwordDefaults);
  const config = reader.done(definition.readConfig(reader));
  const secrets = createSdkSecretsPort(client);
  const strategy: RotationStrategy<unknown> = definition.createStrategy({
    config,
    core,
    passwords: secretsManagerPasswordGenerator(secrets),
    logger: silentLog,
  });
  const context = (input: ToolInput, step: RotationContext['step']): RotationContext =>
    Object.freeze({
      secretArn: input.secretArn,
      secretName: input.secretName,
      clientRequestToken: input.pendingVersionId,
      step,
      emergency: false,
      tags: {},
      logger: silentLog,
      secrets: secrets as SecretsPort,
      versionIds: { current: input.currentVersionId, pending: input.pendingVersionId },
    });
  return {
    kind,
    hasTarget: strategy.logsIn !== undefined,
    parse: (secretString, versionId) =>
      strategy.parse(new Sensitive(secretString), { versionId, stage: 'probe' }),
    async probe(value) {
      if (strategy.logsIn === undefined) return { verdict: 'no-target' };
      try {
        return { verdict: (await strategy.logsIn(value)) ? 'logs-in' : 'refused' };
      } catch (error) {
        return { verdict: 'unknown', errorCode: isRotationError(error) ? error.code : 'ERR_INTERNAL' };
      }
    },
    test: (input) =>
      strategy.testSecret({
        current: input.current,
        pending: input.pending,
        previous: undefined,
        context: context(input, 'testSecret'),
      }),
    set: (input) =>
      strategy.setSecret({
        current: input.current,
        pending: input.pending,
        previous: undefined,
        context: context(input, 'setSecret'),
      }),
  };
}

export function isProbeKind(value: string | undefined): value is ProbeKind {
  return value !== undefined && (PROBE_KINDS as readonly string[]).includes(value);
}
