import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { definePostgresFunction } from '../../../functions/postgres/definition.ts';
import type { PgConnector } from '../../../functions/postgres/pg-connector.ts';
import { RDS_INSTANCE_TAG, type RdsPort } from '../../../functions/postgres/rds-port.ts';
import type { FunctionDefinition } from '../../../shared/rotation-function.ts';
import { connectPg, pgAuthenticates } from '../../testbed/pg-login.ts';
import { CredentialModel, type ChaosTarget } from './chaos-target.ts';

/**
 * PostgreSQL against a real server (scram-sha-256, log_statement = 'all'):
 * - single user (the user changes its own password; a cut-over), JSON and URL secrets;
 * - alternating users (`<user>` / `<user>_clone` through an admin secret named by
 *   `masterarn`; zero downtime), in AWS's clone naming and the owner-role naming.
 * The function's connector is wrapped: `pg.connect` (connect and authenticate) and every
 * `pg.session.query` / `pg.session.close` are injection points. Provisioning runs as the
 * server's superuser with statement logging off, so the server log holds only what the
 * function sent.
 */
export type PostgresChaosMode = 'single' | 'alternating' | 'alternating-owner' | 'alternating-rds';
export type PgShape = 'json' | 'url';

export interface PostgresTargetServer {
  readonly host: string;
  readonly port: number;
  readonly adminUser: string;
  readonly adminPassword: string;
  readLog?(): Promise<string>;
}

const newPassword = (): string => `Init-${randomBytes(15).toString('base64url')}`;

async function withAdmin<T>(
  server: PostgresTargetServer,
  work: (client: pg.Client) => Promise<T>,
): Promise<T> {
  const client = await connectPg(server, server.adminUser, server.adminPassword);
  try {
    await client.query("SET log_statement = 'none'");
    return await work(client);
  } finally {
    await client.end();
  }
}

function credentialsOf(secretString: string): { username: string; password: string } {
  if (secretString.trim().startsWith('{'))
    return JSON.parse(secretString) as { username: string; password: string };
  const url = new URL(secretString);
  return { username: decodeURIComponent(url.username), password: decodeURIComponent(url.password) };
}

const RDS_INSTANCE = 'chaos-db';

/** The RDS API as far as an RDS-managed admin secret needs it: the instance and its endpoint. */
function rdsStandIn(server: PostgresTargetServer): RdsPort {
  return {
    describeDbInstance: async (identifier) =>
      identifier === RDS_INSTANCE
        ? {
            identifier,
            engine: 'postgres',
            endpoint: { host: server.host, port: server.port },
            masterUsername: server.adminUser,
            readReplicaSourceIdentifier: undefined,
            clusterIdentifier: undefined,
            status: 'available',
          }
        : undefined,
    describeDbCluster: async () => undefined,
    resetMasterPassword: async () => {
      throw new Error('break-glass is off in chaos runs');
    },
  };
}

export function postgresTarget(
  mode: PostgresChaosMode,
  shape: PgShape,
  server: PostgresTargetServer,
): ChaosTarget {
  const alternating = mode !== 'single';
  return {
    name: `postgres/${mode}/${shape}`,
    model: alternating ? CredentialModel.zeroDowntime : CredentialModel.single,
    emergency: true,
    // Single user logs in with its own credential only: after `repair` drops the pending label of a
    // rotation that got past setSecret, no stored credential logs in (AWS's SingleUser has the same limit).
    repairSafe: alternating,
    env: {
      PG_CONNECT_TIMEOUT_MS: '3000',
      PG_STATEMENT_TIMEOUT_MS: '5000',
      PG_SSL_MODE: 'disable',
      ...(mode === 'alternating-owner' ? { PG_ALTERNATING_NAMING: 'owner-role' } : {}),
      // The one instance the RDS-managed admin secret's tag names: the function is deployed for it alone.
      ...(mode === 'alternating-rds' ? { PG_RDS_RESOURCE_ARNS: `db:${RDS_INSTANCE}` } : {}),
      ...(mode === 'single'
        ? { PG_ROTATION_STRATEGY: 'single-user' }
        : { PG_ROTATION_STRATEGY: 'alternating-users' }),
    },
    async provision(secretName, _rng, createSecret) {
      const username = `c_${secretName.replace(/[^a-zA-Z0-9]/g, '_').slice(-40)}`.toLowerCase();
      const password = newPassword();
      await withAdmin(server, async (client) => {
        await client.query(`DROP ROLE IF EXISTS ${pg.escapeIdentifier(`${username}_clone`)}`);
        await client.query(`DROP ROLE IF EXISTS ${pg.escapeIdentifier(username)}`);
        await client.query(
          `CREATE ROLE ${pg.escapeIdentifier(username)} LOGIN PASSWORD ${pg.escapeLiteral(password)}`,
        );
      });
      const base = {
        engine: 'postgres',
        host: server.host,
        port: server.port,
        username,
        password,
        dbname: 'postgres',
        ssl: false,
      };
      if (mode === 'alternating-rds') {
        // An RDS-managed master secret: only username and password; the database is found through RDS by its tag.
        const adminSecret = JSON.stringify({ username: server.adminUser, password: server.adminPassword });
        const masterarn = await createSecret(`${secretName}-admin`, adminSecret, {
          [RDS_INSTANCE_TAG]: `arn:aws:rds:us-east-1:123456789012:db:${RDS_INSTANCE}`,
        });
        return { secretString: JSON.stringify({ ...base, masterarn }) };
      }
      if (alternating) {
        const adminSecret = JSON.stringify({
          engine: 'postgres',
          host: server.host,
          port: server.port,
          username: server.adminUser,
          password: server.adminPassword,
          ssl: false,
        });
        const masterarn = await createSecret(`${secretName}-admin`, adminSecret);
        return { secretString: JSON.stringify({ ...base, masterarn }) };
      }
      const secretString =
        shape === 'json'
          ? JSON.stringify(base)
          : `postgresql://${encodeURIComponent(username)}:${encodeURIComponent(password)}@${server.host}:${server.port}/postgres?sslmode=disable`;
      return { secretString };
    },
    definition(wrap): FunctionDefinition<unknown, object> {
      return definePostgresFunction({
        connector: (base) => wrap<PgConnector>('pg', base, { children: { connect: 'pg.session' } }),
        rds: wrap<RdsPort>('rds', rdsStandIn(server)),
      }) as FunctionDefinition<unknown, object>;
    },
    async authenticates(secretString) {
      const { username, password } = credentialsOf(secretString);
      return pgAuthenticates(server, username, password);
    },
    async capturedTexts() {
      return server.readLog ? [{ source: 'PostgreSQL server log', text: await server.readLog() }] : [];
    },
    async close() {},
  };
}
