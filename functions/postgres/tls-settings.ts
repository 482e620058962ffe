import { existsSync, readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { rootCertificates, type ConnectionOptions } from 'node:tls';
import { ErrorCode, RotationError } from '../../shared/errors.ts';

/**
 * TLS for PostgreSQL connections. `verify-full` (chain and host name) against a CA bundle
 * is the default; `verify-ca`, `require` (encrypted, unverified) and `disable` apply only
 * when the secret or the env asks. node-postgres never retries in plaintext when `ssl` is
 * set, and `prefer`/`allow` are refused at parse time: no silent downgrade.
 */

export const SslMode = {
  disable: 'disable',
  require: 'require',
  verifyCa: 'verify-ca',
  verifyFull: 'verify-full',
} as const;
export type SslMode = (typeof SslMode)[keyof typeof SslMode];
export const SSL_MODES: readonly SslMode[] = Object.freeze(Object.values(SslMode));

/** The CA bundle Lambda's Node.js runtimes ship, which holds the RDS roots. */
export const LAMBDA_RUNTIME_CA_PATH = '/var/runtime/ca-cert.pem';

export function parseSslMode(value: string): SslMode | undefined {
  return (SSL_MODES as readonly string[]).includes(value) ? (value as SslMode) : undefined;
}

/** Where the CA bundle came from, for error messages. */
export type CaSource = 'secret ssl_cert_path' | 'env PG_SSL_CA_PATH' | 'default';

export interface TlsSettings {
  readonly mode: SslMode;
  /** A CA bundle file; undefined means Node's CAs plus LAMBDA_RUNTIME_CA_PATH when present. */
  readonly caPath: string | undefined;
  readonly caSource: CaSource;
}

/** The secret's settings win; the env fills what the secret leaves open. */
export function resolveTls(
  secret: { readonly mode: SslMode | undefined; readonly caPath: string | undefined },
  env: { readonly mode: SslMode; readonly caPath: string | undefined },
): TlsSettings {
  const mode = secret.mode ?? env.mode;
  if (secret.caPath !== undefined) return { mode, caPath: secret.caPath, caSource: 'secret ssl_cert_path' };
  if (env.caPath !== undefined) return { mode, caPath: env.caPath, caSource: 'env PG_SSL_CA_PATH' };
  return { mode, caPath: undefined, caSource: 'default' };
}

let defaultBundle: readonly string[] | undefined;

/** Node's bundled roots plus the Lambda runtime's bundle (RDS roots) when the file exists. */
export function defaultCaBundle(runtimeCaPath = LAMBDA_RUNTIME_CA_PATH): readonly string[] {
  if (runtimeCaPath === LAMBDA_RUNTIME_CA_PATH && defaultBundle !== undefined) return defaultBundle;
  const bundle = [...rootCertificates];
  if (existsSync(runtimeCaPath)) bundle.push(readFileSync(runtimeCaPath, 'utf8'));
  const frozen = Object.freeze(bundle);
  if (runtimeCaPath === LAMBDA_RUNTIME_CA_PATH) defaultBundle = frozen;
  return frozen;
}

/** node-postgres `ssl` option for a connection to `host`. */
export function sslOptions(settings: TlsSettings, host: string): false | ConnectionOptions {
  if (settings.mode === SslMode.disable) return false;
  const servername = isIP(host) === 0 ? host : undefined;
  if (settings.mode === SslMode.require)
    return { rejectUnauthorized: false, ...(servername ? { servername } : {}) };
  const ca = settings.caPath === undefined ? [...defaultCaBundle()] : readCaFile(settings);
  return {
    rejectUnauthorized: true,
    ca,
    ...(servername ? { servername } : {}),
    ...(settings.mode === SslMode.verifyCa ? { checkServerIdentity: () => undefined } : {}),
  };
}

function readCaFile(settings: TlsSettings): string[] {
  const path = settings.caPath as string;
  try {
    const pem = readFileSync(path, 'utf8');
    if (!pem.includes('-----BEGIN CERTIFICATE-----')) throw new Error('no PEM certificate in file');
    return [pem];
  } catch (error) {
    throw new RotationError(
      ErrorCode.ERR_TARGET_TLS,
      `CA bundle ${path} (from ${settings.caSource}) cannot be read as PEM certificates`,
      {
        cause: error,
        details: { caPath: path, caSource: settings.caSource, reason: 'ca-unreadable' },
      },
    );
  }
}
