import { SecretKind } from '../../shared/constants.ts';
import { lazyPort } from '../../shared/lazy-port.ts';
import type { FunctionDefinition } from '../../shared/rotation-function.ts';
import { allowedRdsPort } from './allowed-rds-port.ts';
import { createPgConnector, type PgConnector } from './pg-connector.ts';
import { readPostgresConfig, type PostgresConfig } from './postgres-config.ts';
import type { PostgresSecret } from './postgres-secret.ts';
import { createPostgresStrategy } from './postgres-strategy.ts';
import type { RdsPort } from './rds-port.ts';

/** Ports a test or the fault-injection harness may replace. Defaults: node-postgres and the RDS SDK client. */
export interface PostgresPorts {
  /** Wrap or replace the database port; receives the default one. */
  readonly connector?: (defaultConnector: PgConnector) => PgConnector;
  readonly rds?: RdsPort;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly now?: () => number;
}

export function definePostgresFunction(
  ports: PostgresPorts = {},
): FunctionDefinition<PostgresSecret, PostgresConfig> {
  return {
    kind: SecretKind.postgres,
    readConfig: readPostgresConfig,
    createStrategy: ({ config, core, passwords, logger }) => {
      const base = createPgConnector({
        connectTimeoutMs: config.connectTimeoutMs,
        statementTimeoutMs: config.statementTimeoutMs,
        serverTimeouts: config.serverTimeouts,
      });
      let rds = ports.rds;
      // Created on first use: the RDS client loads then (its own chunk in the zip), and most rotations never call RDS.
      const rdsPort = (): RdsPort =>
        (rds ??= lazyPort<RdsPort>(async () => {
          const { createRdsClient, createSdkRdsPort } = await import('./sdk-rds-port.ts');
          return createSdkRdsPort(createRdsClient({ endpoint: config.rdsEndpoint, region: core.region }));
        }, ['describeDbInstance', 'describeDbCluster', 'resetMasterPassword']));
      // Every RDS call goes through the deployed-for lists (PG_RDS_RESOURCE_ARNS, PG_BREAK_GLASS_RESOURCE_ARNS).
      const allowed = allowedRdsPort(rdsPort, {
        describe: config.rdsResources,
        reset: config.breakGlassResources,
      });
      return createPostgresStrategy({
        config,
        connector: ports.connector ? ports.connector(base) : base,
        logger,
        passwords,
        passwordPolicy: core.passwordPolicy,
        rds: () => allowed,
        sleep: ports.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms))),
        now: ports.now ?? (() => Date.now()),
      });
    },
  };
}

export const postgresFunction = definePostgresFunction();
