import { describe, expect, it } from 'vitest';
import { ErrorCode } from '../../../shared/errors.ts';
import {
  FailureReason,
  classifyPgError,
  failureReason,
  pgFailure,
} from '../../../functions/postgres/login-failure.ts';

const driverError = (message: string, code?: string) =>
  Object.assign(new Error(message), code === undefined ? {} : { code });

describe('classifyPgError', () => {
  it.each([
    ['28P01', 'password authentication failed for user "app"', FailureReason.wrongPassword],
    ['28000', 'role "ghost" does not exist', FailureReason.roleMissing],
    [
      '28000',
      'no pg_hba.conf entry for host "10.0.0.1", user "app", database "db", no encryption',
      FailureReason.notAllowed,
    ],
    ['3D000', 'database "nope" does not exist', FailureReason.databaseMissing],
    ['53300', 'sorry, too many clients already', FailureReason.tooManyConnections],
    ['53300', 'too many connections for role "app"', FailureReason.tooManyConnections],
    ['57014', 'canceling statement due to statement timeout', FailureReason.timeout],
    ['55P03', 'canceling statement due to lock timeout', FailureReason.timeout],
    ['42501', 'permission denied to alter role', FailureReason.permissionDenied],
    ['ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:5432', FailureReason.unreachable],
    ['ENOTFOUND', 'getaddrinfo ENOTFOUND db.invalid', FailureReason.unreachable],
    ['ETIMEDOUT', 'connect ETIMEDOUT', FailureReason.timeout],
    [undefined, 'timeout expired', FailureReason.timeout],
    [undefined, 'Connection terminated due to connection timeout', FailureReason.timeout],
    ['SELF_SIGNED_CERT_IN_CHAIN', 'self-signed certificate in certificate chain', FailureReason.tlsFailure],
    [
      'ERR_TLS_CERT_ALTNAME_INVALID',
      "Hostname/IP does not match certificate's altnames",
      FailureReason.tlsFailure,
    ],
    [undefined, 'The server does not support SSL connections', FailureReason.tlsFailure],
    [undefined, 'Connection terminated unexpectedly', FailureReason.unreachable],
    [undefined, 'something new', FailureReason.other],
    // PgBouncer answers 08P01 for what it decides itself (messages as PgBouncer 1.18 sends them).
    ['08P01', 'unsupported startup parameter: statement_timeout', FailureReason.poolerRejected],
    ['08P01', 'password authentication failed', FailureReason.wrongPassword],
    ['08P01', 'bouncer config error', FailureReason.poolerRejected],
    ['08P01', 'no more connections allowed (max_client_conn)', FailureReason.tooManyConnections],
    ['08P01', 'query_wait_timeout', FailureReason.timeout],
    [
      '08P01',
      'server login has been failing, try again later (server_login_retry)',
      FailureReason.poolerUpstream,
    ],
    ['08P01', 'pgbouncer cannot connect to server', FailureReason.poolerUpstream],
    [undefined, 'This RDS Proxy requires TLS connections', FailureReason.tlsFailure],
    // A server error that merely names a timeout setting is not a timeout.
    ['42704', 'unrecognized configuration parameter "lock_timeoutx"', FailureReason.other],
  ])('classifies %s "%s" as %s', (code, message, reason) => {
    expect(classifyPgError(driverError(message, code)).reason).toBe(reason);
  });
});

describe('pgFailure', () => {
  it('maps a pooler refusal to ERR_TARGET_REJECTED and a pooler that cannot reach the server to ERR_TARGET_UNREACHABLE', () => {
    const subject = { action: 'login', host: 'bouncer', port: 6432, user: 'app' };
    expect(
      pgFailure(driverError('unsupported startup parameter: statement_timeout', '08P01'), subject).code,
    ).toBe(ErrorCode.ERR_TARGET_REJECTED);
    expect(pgFailure(driverError('pgbouncer cannot connect to server', '08P01'), subject).code).toBe(
      ErrorCode.ERR_TARGET_UNREACHABLE,
    );
  });

  it('names action, reason, credential, user, host and port, and keeps codes in details', () => {
    const error = pgFailure(driverError('password authentication failed for user "app"', '28P01'), {
      action: 'login',
      host: 'db.example.com',
      port: 5432,
      user: 'app',
      credential: 'current',
    });
    expect(error.code).toBe(ErrorCode.ERR_TARGET_AUTH_FAILED);
    expect(error.message).toBe(
      'PostgreSQL login failed (wrong password) for current credentials, user "app" on db.example.com:5432',
    );
    expect(error.details).toMatchObject({
      reason: 'wrong password',
      sqlState: '28P01',
      host: 'db.example.com',
      user: 'app',
      credential: 'current',
    });
    expect(failureReason(error)).toBe(FailureReason.wrongPassword);
  });

  it('never copies the driver message, which may quote a statement or a secret', () => {
    const error = pgFailure(driverError(`syntax error at or near "hunter2-secret"`, '42601'), {
      action: 'ALTER ROLE',
      host: 'h',
      port: 1,
      user: 'u',
    });
    expect(error.message).not.toContain('hunter2');
    expect(JSON.stringify(error.details)).not.toContain('hunter2');
    expect(error.code).toBe(ErrorCode.ERR_TARGET_REJECTED);
  });

  it.each([
    ['53300', ErrorCode.ERR_TARGET_TOO_MANY_CONNECTIONS],
    ['ECONNREFUSED', ErrorCode.ERR_TARGET_UNREACHABLE],
    ['SELF_SIGNED_CERT_IN_CHAIN', ErrorCode.ERR_TARGET_TLS],
    ['57014', ErrorCode.ERR_TARGET_TIMEOUT],
  ])('maps %s to %s', (code, expected) => {
    expect(pgFailure(driverError('x', code), { action: 'login', host: 'h', port: 1, user: 'u' }).code).toBe(
      expected,
    );
  });
});
