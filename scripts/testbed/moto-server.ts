/**
 * moto's server mode (`python3 -m moto.server`) on a random loopback port: a stand-in for AWS
 * query APIs (RDS, ElastiCache) that speaks the real wire protocol, so SDK adapters are
 * tested through the SDK's own serialisers and XML parsers rather than a fake `send`.
 * moto's request recorder (`/moto-api/recorder/*`) shows exactly what reached the service.
 * The machine image's Python ships moto; where it does not, motoAvailable() says so and
 * tests skip with that reason.
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { findOnPath } from './binaries.ts';
import { ManagedProcess } from './managed-process.ts';
import { freePort, waitUntil } from './ports.ts';
import { makeWorkDir } from './work-dir.ts';

const READY_TIMEOUT_MS = 60_000;

export interface RecordedRequest {
  readonly method: string;
  /** The form-encoded body of a query-API call, decoded. */
  readonly params: URLSearchParams;
}

export interface MotoServer {
  /** http://127.0.0.1:<port> */
  readonly endpoint: string;
  /** Start recording requests (earlier recordings are cleared). */
  startRecording(): Promise<void>;
  /** The requests since startRecording(), oldest first; recording stops. */
  stopRecording(): Promise<RecordedRequest[]>;
  destroy(): Promise<void>;
}

let available: string | undefined | null = null;

/** undefined when moto's server can run here, else why not. Asked once per process. */
export function motoUnavailableReason(): string | undefined {
  if (available !== null) return available;
  const python = findOnPath('python3');
  if (python === undefined) available = 'python3 not found';
  else {
    try {
      execFileSync(python, ['-c', 'import moto.server, flask'], { stdio: 'ignore', timeout: 30_000 });
      available = undefined;
    } catch {
      available = "python3 cannot import moto's server (pip install 'moto[server]')";
    }
  }
  return available;
}

async function post(url: string): Promise<string> {
  const response = await fetch(url, { method: 'POST' });
  if (!response.ok) throw new Error(`POST ${url} answered ${response.status}`);
  return await response.text();
}

export async function startMotoServer(): Promise<MotoServer> {
  const reason = motoUnavailableReason();
  if (reason !== undefined) throw new Error(`moto server unavailable: ${reason}`);
  const work = makeWorkDir('moto');
  const port = await freePort();
  const logPath = path.join(work.path, 'moto.log');
  writeFileSync(logPath, '');
  const server = new ManagedProcess({
    command: findOnPath('python3') ?? 'python3',
    args: ['-m', 'moto.server', '-H', '127.0.0.1', '-p', String(port)],
    logPath,
    cwd: work.path,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', LANG: 'C.UTF-8', HOME: work.path },
    stopSignal: 'SIGTERM',
    deathSignal: 'SIGKILL',
  });
  const endpoint = `http://127.0.0.1:${port}`;
  try {
    await server.spawn();
    await waitUntil(async () => (await post(`${endpoint}/moto-api/reset`), true), {
      what: `moto server on ${endpoint} (log: ${logPath})`,
      timeoutMs: READY_TIMEOUT_MS,
      intervalMs: 100,
    });
  } catch (error) {
    await server.stop();
    work.remove();
    throw error;
  }
  return {
    endpoint,
    startRecording: async () => {
      await post(`${endpoint}/moto-api/recorder/reset-recording`);
      await post(`${endpoint}/moto-api/recorder/start-recording`);
    },
    stopRecording: async () => {
      await post(`${endpoint}/moto-api/recorder/stop-recording`);
      const text = await (await fetch(`${endpoint}/moto-api/recorder/download-recording`)).text();
      return text
        .split('\n')
        .filter((line) => line.trim() !== '')
        .map(
          (line) =>
            JSON.parse(line) as { method: string; url: string; body?: string; body_encoded?: boolean },
        )
        .filter((entry) => !entry.url.includes('/moto-api/'))
        .map((entry) => ({
          method: entry.method,
          params: new URLSearchParams(
            entry.body_encoded === true
              ? Buffer.from(entry.body ?? '', 'base64').toString('utf8')
              : (entry.body ?? ''),
          ),
        }));
    },
    destroy: async () => {
      await server.stop();
      work.remove();
    },
  };
}
