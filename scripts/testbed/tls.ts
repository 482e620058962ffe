/**
 * Throwaway TLS material for the TLS server variants: a server certificate for CN/SAN
 * `localhost` and IP 127.0.0.1, signed by the process's server CA or by a fresh one, made with
 * the machine's `openssl`.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { copyFile, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { opensslBinary } from './binaries.ts';
import { makeWorkDir } from './work-dir.ts';

const run = promisify(execFile);

/** The host name the server certificate is issued for (clients verify against it). */
export const TLS_SERVER_NAME = 'localhost';

export interface TlsMaterial {
  /** PEM of the CA that signed the server certificate: what a client trusts. */
  readonly caPem: string;
  readonly caPath: string;
  readonly certPath: string;
  readonly keyPath: string;
  readonly serverName: typeof TLS_SERVER_NAME;
}

const EC_KEY = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

interface CertificateAuthority {
  readonly certPath: string;
  readonly keyPath: string;
}

async function createCa(dir: string): Promise<CertificateAuthority> {
  const ca = { certPath: path.join(dir, 'ca.crt'), keyPath: path.join(dir, 'ca.key') };
  const subject = `/CN=sm-rotation test bed CA ${randomBytes(4).toString('hex')}`;
  await run(opensslBinary(), [
    'req',
    '-x509',
    ...EC_KEY,
    '-keyout',
    ca.keyPath,
    '-out',
    ca.certPath,
    '-days',
    '2',
    '-subj',
    subject,
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign',
  ]);
  return ca;
}

let sharedCa: Promise<CertificateAuthority> | undefined;

/** The process's CA for servers, so a TLS replica trusts its TLS primary. */
function processCa(): Promise<CertificateAuthority> {
  sharedCa ??= createCa(makeWorkDir('tls-ca').path).catch((error: unknown) => {
    sharedCa = undefined;
    throw error;
  });
  return sharedCa;
}

export interface CreateTlsMaterialOptions {
  /**
   * `fresh` (default): a new CA of its own, e.g. to prove a client refuses a server signed by
   * another CA. `shared`: the process's server CA, which every server of the process trusts.
   */
  readonly ca?: 'fresh' | 'shared';
}

/** Write `ca.crt`, `server.crt` and `server.key` (and `ca.key` for a fresh CA) into `dir`, which must exist. */
export async function createTlsMaterial(
  dir: string,
  options: CreateTlsMaterialOptions = {},
): Promise<TlsMaterial> {
  const openssl = opensslBinary();
  const file = (name: string): string => path.join(dir, name);
  const ca = options.ca === 'shared' ? await processCa() : await createCa(dir);
  if (ca.certPath !== file('ca.crt')) await copyFile(ca.certPath, file('ca.crt'));
  await run(openssl, [
    'req',
    '-new',
    ...EC_KEY,
    '-keyout',
    file('server.key'),
    '-out',
    file('server.csr'),
    '-subj',
    `/CN=${TLS_SERVER_NAME}`,
  ]);
  await writeFile(
    file('server.ext'),
    [
      `subjectAltName=DNS:${TLS_SERVER_NAME},IP:127.0.0.1`,
      'basicConstraints=critical,CA:FALSE',
      'keyUsage=critical,digitalSignature,keyEncipherment',
      'extendedKeyUsage=serverAuth,clientAuth',
      '',
    ].join('\n'),
  );
  await run(openssl, [
    'x509',
    '-req',
    '-in',
    file('server.csr'),
    '-CA',
    ca.certPath,
    '-CAkey',
    ca.keyPath,
    '-set_serial',
    `0x${randomBytes(8).toString('hex')}`,
    '-days',
    '2',
    '-extfile',
    file('server.ext'),
    '-out',
    file('server.crt'),
  ]);
  return {
    caPem: await readFile(file('ca.crt'), 'utf8'),
    caPath: file('ca.crt'),
    certPath: file('server.crt'),
    keyPath: file('server.key'),
    serverName: TLS_SERVER_NAME,
  };
}
