import { describe, expect, it } from 'vitest';
import { ErrorCode } from '../../../shared/errors.ts';
import { mapRedisError } from '../../../functions/redis/ioredis-connector.ts';

const withCode = (message: string, code: string) => Object.assign(new Error(message), { code });

describe('mapRedisError', () => {
  it.each([
    [
      new Error('WRONGPASS invalid username-password pair or user is disabled.'),
      ErrorCode.ERR_TARGET_AUTH_FAILED,
    ],
    [new Error('NOAUTH Authentication required.'), ErrorCode.ERR_TARGET_AUTH_FAILED],
    [
      new Error("NOPERM User app has no permissions to run the 'acl|setuser' command"),
      ErrorCode.ERR_TARGET_PERMISSION_DENIED,
    ],
    [withCode('connect ECONNREFUSED 127.0.0.1:1', 'ECONNREFUSED'), ErrorCode.ERR_TARGET_UNREACHABLE],
    [withCode('connect ETIMEDOUT', 'ETIMEDOUT'), ErrorCode.ERR_TARGET_TIMEOUT],
    [new Error('Command timed out'), ErrorCode.ERR_TARGET_TIMEOUT],
    [
      withCode('self-signed certificate in certificate chain', 'SELF_SIGNED_CERT_IN_CHAIN'),
      ErrorCode.ERR_TARGET_TLS,
    ],
    [
      withCode("Hostname/IP does not match certificate's altnames", 'ERR_TLS_CERT_ALTNAME_INVALID'),
      ErrorCode.ERR_TARGET_TLS,
    ],
    [new Error('ERR unknown command'), ErrorCode.ERR_TARGET_REJECTED],
  ])('maps %s', (error, code) => {
    expect(mapRedisError(error, '127.0.0.1:6379', 'PING', false).code).toBe(code);
  });

  it('never copies the reply text of a command that carried a secret', () => {
    const error = mapRedisError(
      new Error("ERR Error in ACL SETUSER modifier '>hunter2hunter2': Syntax error"),
      'h:1',
      'ACL SETUSER',
      true,
    );
    expect(error.message).not.toContain('hunter2');
    expect(JSON.stringify(error.details)).not.toContain('hunter2');
    expect(error.message).toContain('h:1');
    expect(error.message).toContain('ACL SETUSER');
  });

  it('keeps the reply text of harmless commands for diagnosis', () => {
    expect(
      mapRedisError(new Error('ERR unknown command DBSIZEX'), 'h:1', 'DBSIZEX', false).message,
    ).toContain('unknown command');
  });
});
