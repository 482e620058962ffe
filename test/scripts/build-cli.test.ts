import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const rootDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const tsx = path.join(rootDir, 'node_modules/tsx/dist/cli.mjs');

/** `npm run build` is `tsx scripts/build/main.ts`; run it as a process, as npm does. */
function build(args: readonly string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [tsx, 'scripts/build/main.ts', ...args],
      { cwd: rootDir },
      (error, stdout, stderr) => {
        resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr });
      },
    );
  });
}

describe('npm run build (scripts/build/main.ts)', () => {
  let outDir: string;

  beforeAll(async () => {
    outDir = await mkdtemp(path.join(tmpdir(), 'build-cli-'));
  });

  afterAll(async () => {
    await rm(outDir, { recursive: true, force: true });
  });

  it('prints each zip with its size and SHA-256, matching the manifest', async () => {
    const result = await build(['--only', 'jwt', '--out', outDir, '--strict']);
    expect(result.code).toBe(0);
    const manifest = JSON.parse(await readFile(path.join(outDir, 'manifest.json'), 'utf8')) as {
      functions: { name: string; bytes: number; sha256: string }[];
    };
    const jwt = manifest.functions.find((fn) => fn.name === 'jwt');
    expect(jwt?.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(result.stdout).toContain(
      `${(Number(jwt?.bytes) / 1000).toFixed(1)} KB  sha256 ${jwt?.sha256} (budget 150 KB)`,
    );
  }, 60_000);

  it('rejects an unknown function name with exit code 2, naming it', async () => {
    const result = await build(['--only', 'jwt,mysql', '--out', outDir]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--only names unknown functions: mysql');
  }, 60_000);
});
