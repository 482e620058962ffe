/**
 * Throwaway TLS material for the TLS server variants: a fresh CA and a server certificate
 * signed by it for CN/SAN `localhost` and IP 127.0.0.1, made with the machine's `openssl`.
 * Each call makes a new CA, so a test can prove a client refuses a server signed by another.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { opensslBinary } from './binaries.ts';

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

/** Write `ca.crt`, `ca.key`, `server.crt` and `server.key` into `dir` (which must exist). */
export async function createTlsMaterial(dir: string): Promise<TlsMaterial> {
  const openssl = opensslBinary();
  const file = (name: string): string => path.join(dir, name);
  const caSubject = `/CN=sm-rotation test bed CA ${randomBytes(4).toString('hex')}`;
  await run(openssl, [
    'req', '-x509', ...EC_KEY, '-keyout', file('ca.key'), '-out', file('ca.crt'), '-days', '2', '-subj', caSubject,
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign',
  ]);
  await run(openssl, ['req', '-new', ...EC_KEY, '-keyout', file('server.key'), '-out', file('server.csr'), '-subj', `/CN=${TLS_SERVER_NAME}`]);
  await writeFile(
    file('server.ext'),
    [
      `subjectAltName=DNS:${TLS_SERVER_NAME},IP:127.0.0.1`,
      'basicConstraints=critical,CA:FALSE',
      'keyUsage=critical,digitalSignature,keyEncipherment',
      'extendedKeyUsage=serverAuth',
      '',
    ].join('\n'),
  );
  await run(openssl, [
    'x509', '-req', '-in', file('server.csr'), '-CA', file('ca.crt'), '-CAkey', file('ca.key'),
    '-set_serial', `0x${randomBytes(8).toString('hex')}`, '-days', '2', '-extfile', file('server.ext'), '-out', file('server.crt'),
  ]);
  return {
    caPem: await readFile(file('ca.crt'), 'utf8'),
    caPath: file('ca.crt'),
    certPath: file('server.crt'),
    keyPath: file('server.key'),
    serverName: TLS_SERVER_NAME,
  };
}
