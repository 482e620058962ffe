import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { rootCertificates } from 'node:tls';
import { describe, expect, it } from 'vitest';
import { ErrorCode, RotationError } from '../../../shared/errors.ts';
import { defaultCaBundle, resolveTls, sslOptions } from '../../../functions/postgres/tls-settings.ts';

const PEM = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
const dir = mkdtempSync(path.join(tmpdir(), 'pg-tls-unit-'));
const caPath = path.join(dir, 'ca.pem');
writeFileSync(caPath, PEM);
const env = { mode: 'verify-full' as const, caPath: undefined };

describe('resolveTls', () => {
  it('defaults to verify-full with the default CAs', () => {
    expect(resolveTls({ mode: undefined, caPath: undefined }, env)).toEqual({
      mode: 'verify-full',
      caPath: undefined,
      caSource: 'default',
    });
  });

  it('lets the secret win over the env for the mode and the CA file', () => {
    expect(
      resolveTls({ mode: 'require', caPath: '/s.pem' }, { mode: 'verify-ca', caPath: '/e.pem' }),
    ).toEqual({ mode: 'require', caPath: '/s.pem', caSource: 'secret ssl_cert_path' });
    expect(
      resolveTls({ mode: undefined, caPath: undefined }, { mode: 'verify-ca', caPath: '/e.pem' }),
    ).toEqual({ mode: 'verify-ca', caPath: '/e.pem', caSource: 'env PG_SSL_CA_PATH' });
  });
});

describe('sslOptions', () => {
  it('disables TLS only for mode disable', () => {
    expect(sslOptions({ mode: 'disable', caPath: undefined, caSource: 'default' }, 'db.example.com')).toBe(
      false,
    );
  });

  it('encrypts without verification for require', () => {
    expect(sslOptions({ mode: 'require', caPath: undefined, caSource: 'default' }, 'db.example.com')).toEqual(
      { rejectUnauthorized: false, servername: 'db.example.com' },
    );
  });

  it('verifies chain and host name for verify-full with the configured CA', () => {
    const options = sslOptions(
      { mode: 'verify-full', caPath, caSource: 'secret ssl_cert_path' },
      'db.example.com',
    );
    expect(options).toEqual({ rejectUnauthorized: true, ca: [PEM], servername: 'db.example.com' });
  });

  it('skips only the host name check for verify-ca', () => {
    const options = sslOptions(
      { mode: 'verify-ca', caPath, caSource: 'secret ssl_cert_path' },
      'db.example.com',
    );
    expect(options && options.rejectUnauthorized).toBe(true);
    expect(options && typeof options.checkServerIdentity).toBe('function');
  });

  it('sends no SNI name for an IP address', () => {
    const options = sslOptions({ mode: 'verify-full', caPath, caSource: 'default' }, '127.0.0.1');
    expect(options && 'servername' in options).toBe(false);
  });

  it('uses Node CAs plus the Lambda runtime bundle when no CA is configured', () => {
    const runtime = path.join(dir, 'runtime-ca.pem');
    writeFileSync(runtime, PEM);
    expect(defaultCaBundle(runtime)).toEqual([...rootCertificates, PEM]);
    expect(defaultCaBundle(path.join(dir, 'absent.pem'))).toEqual([...rootCertificates]);
  });

  it('fails with ERR_TARGET_TLS naming the file and where it was configured when the CA cannot be read', () => {
    let error: unknown;
    try {
      sslOptions(
        { mode: 'verify-full', caPath: path.join(dir, 'missing.pem'), caSource: 'env PG_SSL_CA_PATH' },
        'h',
      );
    } catch (thrown) {
      error = thrown;
    }
    expect(error).toBeInstanceOf(RotationError);
    expect((error as RotationError).code).toBe(ErrorCode.ERR_TARGET_TLS);
    expect((error as RotationError).message).toMatch(/missing\.pem \(from env PG_SSL_CA_PATH\)/);
  });
});
