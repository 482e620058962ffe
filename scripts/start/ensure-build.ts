import { spawn } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** The function bundles `npm run build` writes, one per kind. */
export const KINDS = ['jwt', 'postgres', 'redis'] as const;
export type Kind = (typeof KINDS)[number];

/** Newest modification time under the folders a bundle is built from. */
function newestSourceMs(root: string, kind: Kind): number {
  let newest = 0;
  const walk = (dir: string): void => {
    if (!existsSync(dir)) return;
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith('.ts')) newest = Math.max(newest, statSync(path).mtimeMs);
    }
  };
  walk(join(root, 'shared'));
  walk(join(root, 'functions', kind));
  return newest;
}

/** The zips that are missing or older than their sources. */
export function staleBundles(root: string): Kind[] {
  return KINDS.filter((kind) => {
    const zip = join(root, 'dist', `${kind}.zip`);
    return !existsSync(zip) || statSync(zip).mtimeMs < newestSourceMs(root, kind);
  });
}

/** Run `npm run build` (the project's esbuild script); resolves with its exit code and output tail. */
export function runBuild(root: string): Promise<{ readonly code: number; readonly output: string }> {
  return new Promise((resolve) => {
    const child = spawn(
      process.execPath,
      [join(root, 'node_modules', 'tsx', 'dist', 'cli.mjs'), join(root, 'scripts', 'build', 'main.ts')],
      { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('error', (error) => resolve({ code: 1, output: error.message }));
    child.on('close', (code) =>
      resolve({ code: code ?? 1, output: output.split('\n').slice(-15).join('\n') }),
    );
  });
}
