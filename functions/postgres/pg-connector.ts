import type pg from 'pg';
import type { Sensitive } from '../../shared/sensitive.ts';
import { pgFailure } from './login-failure.ts';
import { sslOptions, type TlsSettings } from './tls-settings.ts';

/**
 * The target-database port. Strategies talk to PostgreSQL only through it, so tests and
 * the fault-injection harness can wrap it (crash before or after a statement, refuse a
 * login). The default adapter is node-postgres' Client with short timeouts.
 *
 * Server-side timeouts are never startup parameters: PgBouncer refuses unknown ones
 * ("unsupported startup parameter") and RDS Proxy pins or rejects them. In the default
 * `transaction` mode every statement runs inside a transaction that begins with
 * `SET LOCAL statement_timeout` and `SET LOCAL lock_timeout`, so the limits hold on a direct
 * connection, through a session or transaction pooler and through RDS Proxy, and never
 * outlive the transaction (a transaction pooler hands the server connection to other
 * clients afterwards). `off` sends none; the client-side query timeout still applies.
 */

export interface PgEndpoint {
  readonly host: string;
  readonly port: number;
  readonly database: string;
  readonly user: string;
  readonly password: Sensitive<string>;
  readonly tls: TlsSettings;
  /**
   * Admin sessions: with server timeouts per transaction, every transaction also begins with
   * `SET LOCAL search_path = <this>`, so the pin holds through a transaction pooler (a
   * session-level pin would land on one server connection and stay there for the pooler's
   * next client). See PIN_SEARCH_PATH_SQL.
   */
  readonly pinnedSearchPath?: string;
  /**
   * Admin sessions: with server timeouts per transaction, every transaction also begins with
   * `SET LOCAL ROLE NONE`, so it acts as the login whatever `role` the database sets. See
   * ACT_AS_LOGIN_SQL.
   */
  readonly actAsLogin?: boolean;
}

export type PgRow = Record<string, unknown>;

export interface PgSession {
  /** Run one statement. `action` names it in errors ("ALTER ROLE", "probe query"). */
  query(sql: string, values?: readonly unknown[], action?: string): Promise<PgRow[]>;
  /** Always safe to call, also twice or after a failure. */
  close(): Promise<void>;
}

export interface PgConnector {
  /** Log in; rejects with a classified RotationError (reason, host, user; never the password). */
  connect(endpoint: PgEndpoint, credential?: string): Promise<PgSession>;
}

export const ServerTimeouts = {
  /** SET LOCAL statement_timeout and lock_timeout at the start of every transaction (default). */
  transaction: 'transaction',
  /** No server-side timeouts; only the client-side query timeout (statementTimeoutMs + 1 s). */
  off: 'off',
} as const;
export type ServerTimeouts = (typeof ServerTimeouts)[keyof typeof ServerTimeouts];

export interface PgTimeouts {
  readonly connectTimeoutMs: number;
  readonly statementTimeoutMs: number;
  /** Default transaction. */
  readonly serverTimeouts?: ServerTimeouts;
}

const OPENS_TRANSACTION = /^\s*(BEGIN|START\s+TRANSACTION)\b/i;
const ENDS_TRANSACTION = /^\s*(COMMIT|ROLLBACK|END|ABORT)\b/i;

export const APPLICATION_NAME = 'secrets-rotation';
const CLOSE_TIMEOUT_MS = 2_000;

/**
 * node-postgres, loaded on the first login (a chunk of its own in the zip): a step that never
 * logs in (createSecret, a late or duplicate step) never parses it, and a cold start does not
 * pay for it before the handler runs. A failed load is not kept.
 */
let driver: Promise<typeof pg> | undefined;
const loadDriver = (): Promise<typeof pg> =>
  (driver ??= import('pg').then(
    (module) => module.default,
    (error: unknown) => {
      driver = undefined;
      throw error;
    },
  ));

export function createPgConnector(timeouts: PgTimeouts): PgConnector {
  return {
    async connect(endpoint, credential) {
      const subject = {
        host: endpoint.host,
        port: endpoint.port,
        user: endpoint.user,
        ...(credential ? { credential } : {}),
      };
      // sslOptions throws a RotationError itself when the CA file cannot be read.
      const ssl = sslOptions(endpoint.tls, endpoint.host);
      const { Client } = await loadDriver();
      const client = new Client({
        host: endpoint.host,
        port: endpoint.port,
        database: endpoint.database,
        user: endpoint.user,
        password: endpoint.password.reveal(),
        ssl,
        application_name: APPLICATION_NAME,
        connectionTimeoutMillis: timeouts.connectTimeoutMs,
        query_timeout: timeouts.statementTimeoutMs + 1_000,
      });
      const limitTransaction =
        (timeouts.serverTimeouts ?? ServerTimeouts.transaction) === ServerTimeouts.transaction
          ? [
              `SET LOCAL statement_timeout = ${timeouts.statementTimeoutMs}`,
              `SET LOCAL lock_timeout = ${timeouts.statementTimeoutMs}`,
              ...(endpoint.actAsLogin === true ? ['SET LOCAL ROLE NONE'] : []),
              ...(endpoint.pinnedSearchPath === undefined
                ? []
                : [`SET LOCAL search_path = ${endpoint.pinnedSearchPath}`]),
            ].join('; ')
          : undefined;
      // A server-side termination arrives as an 'error' event; without a listener it would crash the process.
      client.on('error', () => undefined);
      let closed = false;
      const close = async (): Promise<void> => {
        if (closed) return;
        closed = true;
        await Promise.race([
          client.end().catch(() => undefined),
          new Promise((resolve) => setTimeout(resolve, CLOSE_TIMEOUT_MS).unref()),
        ]);
      };
      try {
        await client.connect();
      } catch (error) {
        await close();
        throw pgFailure(error, { action: 'login', ...subject });
      }
      const run = async (sql: string, values: readonly unknown[] | undefined, action: string) => {
        try {
          const result = await client.query(sql, values === undefined ? undefined : [...values]);
          return result.rows as PgRow[];
        } catch (error) {
          throw pgFailure(error, { action, ...subject });
        }
      };
      let inTransaction = false;
      return {
        async query(sql, values, action = 'statement') {
          if (limitTransaction === undefined) return await run(sql, values, action);
          if (OPENS_TRANSACTION.test(sql)) {
            const rows = await run(sql, values, action);
            inTransaction = true;
            await run(limitTransaction, undefined, 'SET LOCAL timeouts');
            return rows;
          }
          if (ENDS_TRANSACTION.test(sql)) {
            inTransaction = false;
            return await run(sql, values, action);
          }
          if (inTransaction) return await run(sql, values, action);
          // A statement on its own: its own transaction, limited like the others.
          await run(`BEGIN; ${limitTransaction}`, undefined, 'SET LOCAL timeouts');
          try {
            const rows = await run(sql, values, action);
            await run('COMMIT', undefined, action);
            return rows;
          } catch (error) {
            await run('ROLLBACK', undefined, 'ROLLBACK').catch(() => undefined);
            throw error;
          }
        },
        close,
      };
    },
  };
}

/** Log in, run `work`, and close the connection whatever happens. */
export async function withSession<R>(
  connector: PgConnector,
  endpoint: PgEndpoint,
  credential: string,
  work: (session: PgSession) => Promise<R>,
): Promise<R> {
  const session = await connector.connect(endpoint, credential);
  try {
    return await work(session);
  } finally {
    await session.close();
  }
}
