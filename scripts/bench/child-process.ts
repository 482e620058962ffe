import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const CHILD = fileURLToPath(new URL('./bench-child.mjs', import.meta.url));

export interface ChildReport {
  readonly wallMs: number;
  readonly ok: boolean;
  /** Time to import the entry module alone (Node's own start excluded). */
  readonly importMs: number;
  readonly maxRssKb: number;
  readonly error?: { readonly name?: string; readonly code?: string; readonly message?: string };
}

/**
 * Run a fresh `node` process that imports `entry` and invokes its handler with each event
 * in turn; wall time is measured from spawn to exit, as a cold start would be.
 */
export function runChild(
  entry: string,
  events: readonly unknown[],
  env: Record<string, string>,
): Promise<ChildReport> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(process.execPath, [CHILD, entry, JSON.stringify(events)], {
      env: { PATH: process.env['PATH'] ?? '', ...env },
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.on('error', reject);
    child.on('close', () => {
      const wallMs = performance.now() - started;
      const line = stdout.split('\n').find((l) => l.startsWith('BENCH '));
      if (!line) return reject(new Error(`bench child for ${entry} printed no report`));
      resolve({ wallMs, ...(JSON.parse(line.slice('BENCH '.length)) as Omit<ChildReport, 'wallMs'>) });
    });
  });
}
