import { spawn } from 'node:child_process';
import { connect } from 'node:net';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/**
 * `npm start` end to end, as a newcomer runs it: a child process running scripts/start/main.ts
 * (`node --import tsx`, exactly what the npm script does). It builds the zips when they are stale,
 * so the first run in a session can take longer.
 */

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

interface Run {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly output: string;
  readonly wallMs: number;
}

function start(onOutput?: (soFar: string, child: ReturnType<typeof spawn>) => void): Promise<Run> {
  const started = performance.now();
  const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/start/main.ts'], {
    cwd: ROOT,
    env: { ...process.env, NO_COLOR: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const take = (chunk: Buffer) => {
    output += chunk.toString();
    onOutput?.(output, child);
  };
  child.stdout.on('data', take);
  child.stderr.on('data', take);
  return new Promise((resolve) =>
    child.on('close', (code, signal) =>
      resolve({ code, signal, output, wallMs: performance.now() - started }),
    ),
  );
}

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

function stackPorts(output: string): number[] {
  const match =
    /emulator http:\/\/127\.0\.0\.1:(\d+), PostgreSQL 127\.0\.0\.1:(\d+), Redis 127\.0\.0\.1:(\d+)/.exec(
      output,
    );
  return match ? [Number(match[1]), Number(match[2]), Number(match[3])] : [];
}

describe('npm start', () => {
  it('rotates every kind and format, proves each new credential, finds no leak and stops everything', async () => {
    const run = await start();
    console.info(`[figure] npm start: exit ${run.code} in ${Math.round(run.wallMs)} ms wall`);
    expect(run.output).toContain('all demos passed');
    expect(run.code).toBe(0);
    for (const title of [
      'JWT, plain key',
      'JWT, keyring',
      'PostgreSQL, single user',
      'PostgreSQL, alternating users',
      'Redis, ACL user',
    ])
      expect(run.output).toContain(`== ${title}`);
    expect(run.output).toMatch(/leak check: \d+ secret values .*: none found/);
    expect(run.output).not.toMatch(/FAIL/);
    const ports = stackPorts(run.output);
    expect(ports).toHaveLength(3);
    for (const port of ports) expect(await portOpen(port), `port ${port} still open`).toBe(false);
    expect(run.wallMs).toBeLessThan(60_000);
  }, 180_000);

  it('stops the emulator, PostgreSQL and Redis on Ctrl-C and exits 130', async () => {
    let sent = false;
    const run = await start((soFar, child) => {
      if (!sent && stackPorts(soFar).length === 3) {
        sent = true;
        child.kill('SIGINT');
      }
    });
    expect(sent).toBe(true);
    expect(run.code).toBe(130);
    expect(run.output).toContain('SIGINT: stopping everything npm start started');
    for (const port of stackPorts(run.output))
      expect(await portOpen(port), `port ${port} still open`).toBe(false);
  }, 180_000);
});
