/**
 * Loopback port helpers for the test bed: a free port from the kernel, and bounded polling.
 */
import { readFile, writeFile } from 'node:fs/promises';
import net from 'node:net';

/** Ask the kernel for a free TCP port on 127.0.0.1 (listen on 0, read it, close). */
export async function freePort(): Promise<number> {
  return await new Promise<number>((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => (port > 0 ? resolve(port) : reject(new Error('the kernel returned no free port'))));
    });
  });
}

export interface WaitOptions {
  /** What is awaited, for the timeout message (e.g. "redis on 127.0.0.1:6390 to answer PING"). */
  readonly what: string;
  readonly timeoutMs: number;
  readonly intervalMs?: number;
}

/**
 * Poll `probe` until it resolves true, or throw once `timeoutMs` has passed. The last probe
 * error is kept as `cause` so a failing start says why.
 */
export async function waitUntil(probe: () => Promise<boolean>, options: WaitOptions): Promise<void> {
  const deadline = Date.now() + options.timeoutMs;
  const intervalMs = options.intervalMs ?? 20;
  let lastError: unknown;
  for (;;) {
    try {
      if (await probe()) return;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() >= deadline) {
      throw new Error(`Timed out after ${options.timeoutMs} ms waiting for ${options.what}`, {
        cause: lastError,
      });
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

const PORT_TAKEN = /Address already in use|could not bind|EADDRINUSE/i;

/**
 * Start a server on a free port, and on a fresh one when the first was taken in the meantime
 * (seen in the server's log): the kernel may hand the same port to a client connection
 * between freePort() and the server binding it. The log is emptied before each attempt.
 */
export async function withFreshPortOnConflict<T>(
  logPath: string,
  startOn: (port: number) => Promise<T>,
  attempts = 3,
): Promise<{ server: T; port: number }> {
  for (let attempt = 1; ; attempt += 1) {
    const port = await freePort();
    await writeFile(logPath, '');
    try {
      return { server: await startOn(port), port };
    } catch (error) {
      const log = await readFile(logPath, 'utf8').catch(() => '');
      if (attempt >= attempts || !PORT_TAKEN.test(log)) throw error;
    }
  }
}
