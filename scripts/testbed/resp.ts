/**
 * A minimal one-shot Redis client for the helper's own readiness checks (PING, INFO): no
 * retries, no offline queue, a hard timeout. Tests use ioredis; this keeps the helper's
 * probes deterministic and independent of client library behaviour.
 */
import { readFileSync } from 'node:fs';
import net from 'node:net';
import tls from 'node:tls';

export interface RespTarget {
  readonly host: string;
  readonly port: number;
  /** With certPath/keyPath: present that certificate (servers with `tls-auth-clients yes`). */
  readonly tls?: { readonly caPem: string; readonly certPath?: string; readonly keyPath?: string };
  readonly password?: string;
}

export class RespError extends Error {
  override readonly name = 'RespError';
}

function encode(args: readonly string[]): string {
  return `*${args.length}\r\n${args.map((arg) => `$${Buffer.byteLength(arg)}\r\n${arg}\r\n`).join('')}`;
}

/** Parse one reply at `offset`; undefined when the buffer does not yet hold all of it. */
function parseReply(buffer: Buffer, offset: number): { value: string | RespError; next: number } | undefined {
  const lineEnd = buffer.indexOf('\r\n', offset);
  if (lineEnd < 0) return undefined;
  const kind = String.fromCharCode(buffer[offset] ?? 0);
  const line = buffer.toString('utf8', offset + 1, lineEnd);
  if (kind === '+' || kind === ':') return { value: line, next: lineEnd + 2 };
  if (kind === '-') return { value: new RespError(line), next: lineEnd + 2 };
  if (kind === '$') {
    const length = Number(line);
    if (length < 0) return { value: '', next: lineEnd + 2 };
    const end = lineEnd + 2 + length;
    if (buffer.length < end + 2) return undefined;
    return { value: buffer.toString('utf8', lineEnd + 2, end), next: end + 2 };
  }
  throw new RespError(`unsupported reply type '${kind}'`);
}

/**
 * Send `commands` (after AUTH when a password is given) and resolve with each reply, an
 * error reply as a RespError value. Rejects on connection errors and after `timeoutMs`.
 */
export async function sendCommands(
  target: RespTarget,
  commands: readonly (readonly string[])[],
  timeoutMs = 1_000,
): Promise<(string | RespError)[]> {
  const all = target.password === undefined ? commands : [['AUTH', target.password], ...commands];
  return await new Promise((resolve, reject) => {
    const socket =
      target.tls === undefined
        ? net.connect({ host: target.host, port: target.port })
        : tls.connect({
            host: target.host,
            port: target.port,
            ca: target.tls.caPem,
            servername: 'localhost',
            ...(target.tls.certPath !== undefined && target.tls.keyPath !== undefined
              ? { cert: readFileSync(target.tls.certPath), key: readFileSync(target.tls.keyPath) }
              : {}),
          });
    const replies: (string | RespError)[] = [];
    let buffer = Buffer.alloc(0);
    const timer = setTimeout(
      () =>
        socket.destroy(
          new Error(`no reply from redis on ${target.host}:${target.port} within ${timeoutMs} ms`),
        ),
      timeoutMs,
    );
    const finish = (error?: Error): void => {
      clearTimeout(timer);
      socket.destroy();
      if (error === undefined) resolve(target.password === undefined ? replies : replies.slice(1));
      else reject(error);
    };
    socket.once(target.tls === undefined ? 'connect' : 'secureConnect', () =>
      socket.write(all.map(encode).join('')),
    );
    socket.on('data', (chunk: Buffer) => {
      buffer = Buffer.concat([buffer, chunk]);
      try {
        for (let parsed = parseReply(buffer, 0); parsed !== undefined; parsed = parseReply(buffer, 0)) {
          replies.push(parsed.value);
          buffer = buffer.subarray(parsed.next);
          if (replies.length === all.length) return finish();
        }
      } catch (error) {
        finish(error as Error);
      }
    });
    socket.once('error', (error) => finish(error));
    socket.once('close', () =>
      finish(
        new Error(
          `redis on ${target.host}:${target.port} closed the connection after ${replies.length} of ${all.length} replies`,
        ),
      ),
    );
  });
}
