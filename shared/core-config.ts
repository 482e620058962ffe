import type { EnvReader } from './config.ts';
import { METRIC_NAMESPACE_DEFAULT } from './observability.ts';
import {
  DEFAULT_PASSWORD_POLICY,
  PasswordSource,
  readPasswordPolicy,
  type PasswordPolicy,
} from './password.ts';
import { DEFAULT_REPLICA_SETTINGS, type ReplicaSettings } from './replicas.ts';

/** Settings every function shares, read once from the environment. */
export interface CoreConfig {
  /**
   * SECRETS_MANAGER_ENDPOINT, as AWS's functions honour it. Default: unset (the SDK resolves
   * it, including AWS_ENDPOINT_URL_SECRETS_MANAGER).
   */
  readonly secretsManagerEndpoint: string | undefined;
  /** AWS_REGION. Default: the SDK's own resolution. */
  readonly region: string | undefined;
  /** POWERTOOLS_LOG_LEVEL. Default INFO. */
  readonly logLevel: string;
  /** POWERTOOLS_METRICS_NAMESPACE. Default SecretsRotation. */
  readonly metricsNamespace: string;
  /** AWS's password knobs over the kind's defaults. */
  readonly passwordPolicy: PasswordPolicy;
  /** PASSWORD_GENERATOR: `local` (node:crypto in the function) or `secretsmanager` (GetRandomPassword). Default local. */
  readonly passwordSource: PasswordSource;
  /** SECRETS_MANAGER_REPLICA_ENDPOINT: endpoint of the clients in replica Regions. Default: unset (the SDK's endpoint for each Region). */
  readonly replicaEndpoint: string | undefined;
  /** REPLICA_SYNC_WAIT_MS, REPLICA_CATCH_UP_WAIT_MS, REPLICA_POLL_INTERVAL_MS (defaults in shared/replicas.ts). */
  readonly replicas: ReplicaSettings;
}

export function readCoreConfig(
  reader: EnvReader,
  passwordDefaults: PasswordPolicy = DEFAULT_PASSWORD_POLICY,
): CoreConfig {
  const endpoint = reader.string('SECRETS_MANAGER_ENDPOINT');
  if (endpoint !== undefined && !/^https?:\/\//.test(endpoint))
    reader.problem('SECRETS_MANAGER_ENDPOINT must be an http(s) URL');
  const replicaEndpoint = reader.string('SECRETS_MANAGER_REPLICA_ENDPOINT');
  if (replicaEndpoint !== undefined && !/^https?:\/\//.test(replicaEndpoint))
    reader.problem('SECRETS_MANAGER_REPLICA_ENDPOINT must be an http(s) URL');
  return {
    secretsManagerEndpoint: endpoint,
    region: reader.string('AWS_REGION'),
    logLevel: reader.oneOf(
      'POWERTOOLS_LOG_LEVEL',
      ['DEBUG', 'INFO', 'WARN', 'ERROR', 'SILENT', 'debug', 'info', 'warn', 'error', 'silent'],
      'INFO',
    ),
    metricsNamespace: reader.string('POWERTOOLS_METRICS_NAMESPACE', METRIC_NAMESPACE_DEFAULT),
    passwordPolicy: readPasswordPolicy(reader, passwordDefaults),
    passwordSource: reader.oneOf(
      'PASSWORD_GENERATOR',
      [PasswordSource.local, PasswordSource.secretsManager],
      PasswordSource.local,
    ),
    replicaEndpoint,
    replicas: {
      syncWaitMs: reader.int('REPLICA_SYNC_WAIT_MS', DEFAULT_REPLICA_SETTINGS.syncWaitMs, {
        min: 0,
        max: 900_000,
      }),
      catchUpWaitMs: reader.int('REPLICA_CATCH_UP_WAIT_MS', DEFAULT_REPLICA_SETTINGS.catchUpWaitMs, {
        min: 0,
        max: 900_000,
      }),
      pollIntervalMs: reader.int('REPLICA_POLL_INTERVAL_MS', DEFAULT_REPLICA_SETTINGS.pollIntervalMs, {
        min: 50,
        max: 60_000,
      }),
    },
  };
}
