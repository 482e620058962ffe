import type { KindName } from './constants.ts';
import { EnvReader, type Env } from './config.ts';
import { readCoreConfig, type CoreConfig } from './core-config.ts';
import { asRotationError } from './errors.ts';
import { parseRotationEvent } from './event.ts';
import { createLogger, createMetrics, type Log, type RotationMetrics } from './observability.ts';
import { passwordGenerator, type PasswordGenerator, type PasswordPolicy } from './password.ts';
import { createCachingSecretsPort } from './caching-secrets-port.ts';
import { ReplicaGuard, type ReplicaSecretsFactory } from './replicas.ts';
import { Rotator, type StepOutcome } from './rotator.ts';
import { createSdkSecretsPort, createSecretsManagerClient } from './sdk-secrets-port.ts';
import type { SecretsPort } from './secrets-port.ts';
import type { RotationStrategy } from './strategy.ts';

/** What a strategy factory receives. */
export interface StrategyDeps<C> {
  readonly config: Readonly<C>;
  readonly core: CoreConfig;
  readonly passwords: PasswordGenerator;
  readonly logger: Log;
}

/** One kind of rotation function: its config and its strategy. handler.ts files build one. */
export interface FunctionDefinition<T, C extends object> {
  readonly kind: KindName;
  /** The kind's password defaults before AWS's env knobs apply. Default: DEFAULT_PASSWORD_POLICY. */
  readonly passwordDefaults?: PasswordPolicy;
  /** Read the kind's own variables through the shared reader so all problems surface at once. */
  readConfig(reader: EnvReader): C;
  createStrategy(deps: StrategyDeps<C>): RotationStrategy<T>;
}

/** Injection points for tests, the emulator and the fault-injection harness. */
export interface HandlerOverrides {
  readonly env?: Env;
  readonly secrets?: SecretsPort;
  readonly logger?: Log;
  readonly metrics?: RotationMetrics;
  readonly passwords?: PasswordGenerator;
  /** Secrets Manager in a replica Region. Default: an SDK client per Region, built on first use. */
  readonly replicaSecrets?: ReplicaSecretsFactory;
}

export interface LambdaContextLike {
  readonly awsRequestId?: string;
  readonly functionName?: string;
  /** Lambda's own clock: replica waits stay within it. */
  getRemainingTimeInMillis?(): number;
}

export type RotationHandler = (event: unknown, context?: LambdaContextLike) => Promise<void>;

export interface BuiltFunction {
  readonly handler: RotationHandler;
  /** Same as handler but returns the step's outcome (for tests). */
  readonly invoke: (event: unknown, context?: LambdaContextLike) => Promise<StepOutcome>;
}

/**
 * Build a Lambda handler for a kind. Configuration is read once, on the first
 * invocation (so a bad variable fails the invocation with ERR_CONFIG_INVALID rather
 * than the module import), and cached with everything built from it.
 */
export function buildRotationFunction<T, C extends object>(
  definition: FunctionDefinition<T, C>,
  overrides: HandlerOverrides = {},
): BuiltFunction {
  let built: { rotator: Rotator<T>; logger: Log } | undefined;
  let configError: unknown;

  const init = (): { rotator: Rotator<T>; logger: Log } => {
    if (built) return built;
    if (configError) throw configError;
    const env: Env = overrides.env ?? process.env;
    const reader = new EnvReader(env);
    const core = readCoreConfig(reader, definition.passwordDefaults);
    const config = definition.readConfig(reader);
    let frozenConfig: Readonly<C>;
    try {
      frozenConfig = reader.done(config);
    } catch (error) {
      configError = error;
      (overrides.logger ?? createLogger(definition.kind)).error('Invalid configuration', {
        errorCode: asRotationError(error).code,
        errorMessage: asRotationError(error).message,
      });
      throw error;
    }
    const logger = overrides.logger ?? createLogger(definition.kind, core.logLevel);
    for (const warning of reader.warnings)
      logger.warn('Configuration value read as AWS reads it', { warning });
    // Every version is read at most once per warm process (caching-secrets-port.ts).
    const secrets = createCachingSecretsPort(
      overrides.secrets ??
        createSdkSecretsPort(
          createSecretsManagerClient({ endpoint: core.secretsManagerEndpoint, region: core.region }),
        ),
    );
    const passwords = overrides.passwords ?? passwordGenerator(core.passwordSource, secrets);
    const metrics = overrides.metrics ?? createMetrics(definition.kind, core.metricsNamespace);
    const replicas = new ReplicaGuard({
      replicas: overrides.replicaSecrets ?? sdkReplicaSecrets(core),
      primary: secrets,
      settings: core.replicas,
      logger,
    });
    const strategy = definition.createStrategy({
      config: frozenConfig,
      core,
      passwords,
      logger,
    });
    built = { rotator: new Rotator({ secrets, strategy, logger, metrics, replicas }), logger };
    return built;
  };

  const invoke = async (rawEvent: unknown, context?: LambdaContextLike): Promise<StepOutcome> => {
    const { rotator, logger } = init();
    let event;
    try {
      event = parseRotationEvent(rawEvent);
    } catch (error) {
      const rotationError = asRotationError(error);
      logger.error('Rejected rotation event', {
        errorCode: rotationError.code,
        errorMessage: rotationError.message,
      });
      throw rotationError;
    }
    const remaining = context?.getRemainingTimeInMillis;
    return rotator.handle(event, remaining ? { remainingMs: () => remaining.call(context) } : {});
  };

  return {
    invoke,
    handler: async (rawEvent, context) => {
      await invoke(rawEvent, context);
    },
  };
}

/** One SDK client per replica Region, built when a replicated secret first needs it. */
function sdkReplicaSecrets(core: CoreConfig): ReplicaSecretsFactory {
  const ports = new Map<string, SecretsPort>();
  return (region) => {
    let port = ports.get(region);
    if (!port) {
      port = createSdkSecretsPort(createSecretsManagerClient({ endpoint: core.replicaEndpoint, region }));
      ports.set(region, port);
    }
    return port;
  };
}
