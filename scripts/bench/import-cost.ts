import { readFileSync, statSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { build } from 'esbuild';
import { ENTRY_FILE, esbuildOptions } from '../build/bundle.ts';
import { extractZip } from '../build/unzip.ts';
import { BENCH_KINDS, type BenchKind } from './bench-stack.ts';
import { runChild } from './child-process.ts';
import { summarize, type Summary } from './stats.ts';

/**
 * What each part of a bundle costs to import: every part bundled on its own with the
 * functions' own esbuild settings (bundle.ts), imported in a fresh `node` (no
 * NODE_EXTRA_CA_CERTS, as on Lambda), the time of the `import()` alone. The parts import
 * the project's own adapter modules, so each is what a function really pulls in.
 */
export const BUNDLE_PARTS: Readonly<Record<string, string>> = {
  'Secrets Manager client': `import { createSdkSecretsPort, createSecretsManagerClient } from './shared/sdk-secrets-port.ts';
    export const part = createSdkSecretsPort(createSecretsManagerClient({ region: 'us-east-1' }));`,
  'Powertools logger + metrics': `import { createLogger, createMetrics } from './shared/observability.ts';
    export const part = [createLogger('jwt'), createMetrics('jwt', 'Bench')];`,
  // The connector loads pg on the first login (a chunk of its own): the driver itself is the part.
  'node-postgres (pg)': `import pg from 'pg';
    export const part = pg.Client;`,
  ioredis: `export { createIoredisConnector } from './functions/redis/ioredis-connector.ts';`,
  'jose (test tokens)': `export * from './functions/jwt/probe-token.ts';`,
  'RDS client': `import { createRdsClient, createSdkRdsPort } from './functions/postgres/sdk-rds-port.ts';
    export const part = createSdkRdsPort(createRdsClient({ region: 'us-east-1' }));`,
  'ElastiCache client': `import { createElastiCacheClient, createSdkElastiCachePort } from './functions/redis/sdk-elasticache-port.ts';
    export const part = createSdkElastiCachePort(createElastiCacheClient({ region: 'us-east-1' }));`,
};

export interface ImportCost {
  readonly name: string;
  /** What the import parses: the entry and the chunks it imports statically (lazy chunks excluded). */
  readonly bytes: number;
  readonly importMs: Summary;
}

export interface ImportCostResult {
  /** index.mjs of each zip, as shipped. */
  readonly functions: readonly (ImportCost & { readonly kind: BenchKind })[];
  readonly parts: readonly ImportCost[];
}

const ENV = { AWS_REGION: 'us-east-1', AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' };

/** Bytes of `entry` and of every chunk it imports statically, transitively; `import()`ed chunks are left out. */
export function staticBytes(entry: string): number {
  const seen = new Set<string>();
  const visit = (file: string): number => {
    if (seen.has(file)) return 0;
    seen.add(file);
    const code = readFileSync(file, 'utf8');
    let bytes = statSync(file).size;
    for (const match of code.matchAll(/(?:\bfrom|\bimport)\s*"(\.\/[^"]+\.mjs)"/g))
      bytes += visit(join(dirname(file), match[1]!));
    return bytes;
  };
  return visit(entry);
}

async function importMs(entry: string, runs: number): Promise<Summary> {
  await runChild(entry, [], ENV); // page cache warm-up, not counted
  const samples: number[] = [];
  for (let i = 0; i < runs; i += 1) {
    const report = await runChild(entry, [], ENV);
    if (!report.ok) throw new Error(`${entry} failed to import: ${report.error?.name}`);
    samples.push(report.importMs);
  }
  return summarize(samples);
}

export async function benchImportCost(
  rootDir: string,
  distDir: string,
  runs: number,
): Promise<ImportCostResult> {
  const work = await mkdtemp(join(tmpdir(), 'bench-import-'));
  try {
    const functions: (ImportCost & { kind: BenchKind })[] = [];
    for (const kind of BENCH_KINDS) {
      const dir = join(work, kind);
      await extractZip(join(distDir, `${kind}.zip`), dir);
      const entry = join(dir, ENTRY_FILE);
      functions.push({
        kind,
        name: `${kind} index.mjs`,
        bytes: staticBytes(entry),
        importMs: await importMs(entry, runs),
      });
    }
    const parts: ImportCost[] = [];
    for (const [name, contents] of Object.entries(BUNDLE_PARTS)) {
      const { entryPoints: _unused, ...options } = esbuildOptions({
        rootDir,
        entry: 'part.ts',
        name: 'part',
      });
      const result = await build({
        ...options,
        stdin: { contents, resolveDir: rootDir, loader: 'ts', sourcefile: 'part.ts' },
      });
      // The part with its chunks (the SDK loads some modules with import()), as a zip holds them.
      const dir = join(work, `part-${parts.length}`);
      await mkdir(dir, { recursive: true });
      for (const file of result.outputFiles ?? [])
        await writeFile(join(dir, basename(file.path)), file.contents);
      const entry = join(dir, ENTRY_FILE);
      const code = result.outputFiles?.find((file) => basename(file.path) === ENTRY_FILE);
      if (!code) throw new Error(`esbuild produced nothing for the part ${name}`);
      parts.push({ name, bytes: code.contents.length, importMs: await importMs(entry, runs) });
    }
    return { functions, parts };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}
