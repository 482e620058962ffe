import pg from 'pg';

/** Where a tool or test logs in: a test-bed server or a demo stack's PostgreSQL. */
export interface PgAddress {
  readonly host: string;
  readonly port: number;
  /** Default `postgres`. */
  readonly database?: string;
  /** Trust this CA and verify this name; plaintext when absent. */
  readonly tls?: { readonly caPem: string; readonly serverName: string } | undefined;
}

/** A raw node-postgres client, connected (not the code under test; errors on the socket are swallowed). */
export async function connectPg(
  address: PgAddress,
  user: string,
  password: string,
  options: { readonly database?: string; readonly connectTimeoutMs?: number } = {},
): Promise<pg.Client> {
  const client = new pg.Client({
    host: address.host,
    port: address.port,
    user,
    password,
    database: options.database ?? address.database ?? 'postgres',
    ssl: address.tls ? { ca: address.tls.caPem, servername: address.tls.serverName } : false,
    connectionTimeoutMillis: options.connectTimeoutMs ?? 5000,
  });
  client.on('error', () => undefined);
  try {
    await client.connect();
  } catch (error) {
    await client.end().catch(() => undefined);
    throw error;
  }
  return client;
}

/** `ok` when user/password log in (and `SELECT 1` runs), else the failed login's SQLSTATE (28P01: wrong password). */
export async function pgLoginOutcome(address: PgAddress, user: string, password: string): Promise<string> {
  let client: pg.Client | undefined;
  try {
    client = await connectPg(address, user, password);
    await client.query('SELECT 1');
    return 'ok';
  } catch (error) {
    return (error as { code?: string }).code ?? 'error';
  } finally {
    await client?.end().catch(() => undefined);
  }
}

/** Does this user/password log in? false on a refused login (28P01, or 28000: NOLOGIN or no such role); throws on anything else. */
export async function pgAuthenticates(address: PgAddress, user: string, password: string): Promise<boolean> {
  try {
    const client = await connectPg(address, user, password);
    await client.end();
    return true;
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === '28P01' || code === '28000') return false;
    throw error;
  }
}
