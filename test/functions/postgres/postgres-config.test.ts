import { describe, expect, it } from 'vitest';
import { EnvReader } from '../../../shared/config.ts';
import { ErrorCode, RotationError } from '../../../shared/errors.ts';
import { readPostgresConfig } from '../../../functions/postgres/postgres-config.ts';

const read = (env: Record<string, string>) => {
  const reader = new EnvReader(env);
  return reader.done(readPostgresConfig(reader));
};

describe('readPostgresConfig', () => {
  it('has short timeouts, verify-full, AWS-compatible naming and every opt-in off by default', () => {
    expect(read({})).toEqual({
      connectTimeoutMs: 5000,
      statementTimeoutMs: 10000,
      serverTimeouts: 'transaction',
      passwordEncryption: 'auto',
      validUntil: 'refuse',
      validUntilDays: 90,
      sslMode: 'verify-full',
      sslCaPath: undefined,
      strategy: 'auto',
      alternatingNaming: 'clone',
      ownerRole: undefined,
      testQuery: undefined,
      emergencyTerminateSessions: false,
      breakGlass: false,
      breakGlassWaitMs: 300000,
      breakGlassPollMs: 5000,
      scramIterations: 4096,
      rdsEndpoint: undefined,
    });
  });

  it('reads every variable', () => {
    const config = read({
      PG_CONNECT_TIMEOUT_MS: '1500',
      PG_SSL_MODE: 'require',
      PG_SSL_CA_PATH: '/opt/ca.pem',
      PG_ROTATION_STRATEGY: 'alternating-users',
      PG_ALTERNATING_NAMING: 'owner-role',
      PG_OWNER_ROLE: 'app_owner',
      PG_TEST_QUERY: 'SELECT 1 FROM orders LIMIT 1',
      PG_EMERGENCY_TERMINATE_SESSIONS: 'yes',
      PG_BREAK_GLASS: 'true',
      PG_SCRAM_ITERATIONS: '8192',
      PG_SERVER_TIMEOUTS: 'off',
      PG_PASSWORD_ENCRYPTION: 'scram-sha-256',
      PG_VALID_UNTIL: 'extend',
      PG_VALID_UNTIL_DAYS: '30',
    });
    expect(config).toMatchObject({
      serverTimeouts: 'off',
      passwordEncryption: 'scram-sha-256',
      validUntil: 'extend',
      validUntilDays: 30,
      connectTimeoutMs: 1500,
      sslMode: 'require',
      sslCaPath: '/opt/ca.pem',
      strategy: 'alternating-users',
      alternatingNaming: 'owner-role',
      ownerRole: 'app_owner',
      emergencyTerminateSessions: true,
      breakGlass: true,
      scramIterations: 8192,
    });
  });

  it('reports every bad variable at once, by name and never by value', () => {
    let error: unknown;
    try {
      read({
        PG_SSL_MODE: 'prefer',
        PG_SCRAM_ITERATIONS: '1000',
        PG_CONNECT_TIMEOUT_MS: 'soon',
        PG_TEST_QUERY: 'SELECT 1; DROP TABLE x',
        RDS_ENDPOINT: 'localhost:1',
        PG_SERVER_TIMEOUTS: 'session',
        PG_PASSWORD_ENCRYPTION: 'md5',
        PG_VALID_UNTIL: 'keep',
      });
    } catch (thrown) {
      error = thrown;
    }
    expect(error).toBeInstanceOf(RotationError);
    const message = (error as RotationError).message;
    expect((error as RotationError).code).toBe(ErrorCode.ERR_CONFIG_INVALID);
    for (const name of [
      'PG_SSL_MODE',
      'PG_SCRAM_ITERATIONS',
      'PG_CONNECT_TIMEOUT_MS',
      'PG_TEST_QUERY',
      'RDS_ENDPOINT',
      'PG_SERVER_TIMEOUTS',
      'PG_PASSWORD_ENCRYPTION',
      'PG_VALID_UNTIL',
    ])
      expect(message).toContain(name);
    expect(message).not.toContain('DROP TABLE');
    expect(message).not.toContain('prefer');
  });
});
