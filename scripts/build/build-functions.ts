import { access, mkdir, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { version as esbuildVersion } from 'esbuild';
import { bundleFunction, ENTRY_FILE, SOURCE_MAP_FILE } from './bundle.ts';
import { LICENSES_FILE, thirdPartyLicenses } from './licenses.ts';
import { createDeterministicZip, sha256Hex, type ZipEntry } from './zip.ts';

/** The deployable functions, in build order. */
export const FUNCTION_NAMES = ['jwt', 'postgres', 'redis'] as const;
export type FunctionName = (typeof FUNCTION_NAMES)[number];

/** Zip size budgets in bytes (1 KB = 1,000 bytes), checked by the build. */
export const ZIP_SIZE_LIMITS: Readonly<Record<string, number>> = Object.freeze({
  jwt: 150_000,
  postgres: 150_000,
  redis: 218_000,
});

export const MANIFEST_FILE = 'manifest.json';

export interface FunctionSource {
  /** Zip name without `.zip` (the kind). */
  readonly name: string;
  /** Entry module, relative to rootDir. */
  readonly entry: string;
}

export interface ZipContent {
  readonly name: string;
  readonly bytes: number;
  readonly sha256: string;
}

export interface BuiltZip {
  readonly name: string;
  readonly entry: string;
  readonly zipPath: string;
  readonly bytes: number;
  readonly sha256: string;
  readonly limitBytes: number | undefined;
  readonly contents: readonly ZipContent[];
  /** Bundled npm packages, name@version, sorted. */
  readonly packages: readonly string[];
}

export interface SkippedFunction {
  readonly name: string;
  readonly entry: string;
  readonly reason: string;
}

export interface BuildResult {
  readonly built: readonly BuiltZip[];
  readonly skipped: readonly SkippedFunction[];
  readonly manifestPath: string;
}

export interface BuildInput {
  readonly rootDir: string;
  /** Where the zips and manifest.json go. Default: <rootDir>/dist. */
  readonly outDir?: string;
  /** Default: functions/<name>/handler.ts for each of FUNCTION_NAMES. */
  readonly sources?: readonly FunctionSource[];
}

export function defaultSources(): FunctionSource[] {
  return FUNCTION_NAMES.map((name) => ({ name, entry: `functions/${name}/handler.ts` }));
}

async function exists(file: string): Promise<boolean> {
  try {
    await access(file);
    return true;
  } catch {
    return false;
  }
}

async function writeAtomically(file: string, data: Uint8Array | string): Promise<void> {
  const temp = `${file}.${process.pid}.tmp`;
  await writeFile(temp, data);
  await rename(temp, file);
}

async function buildOne(rootDir: string, outDir: string, source: FunctionSource): Promise<BuiltZip> {
  const bundle = await bundleFunction({ rootDir, entry: source.entry, name: source.name });
  const licenses = await thirdPartyLicenses(bundle.metafile, rootDir);
  // Fixed order: the entry first (what Lambda loads), then its map, the lazy chunks by
  // name (each with its map), then the notices.
  const entries: ZipEntry[] = [
    { name: ENTRY_FILE, data: bundle.code },
    { name: SOURCE_MAP_FILE, data: bundle.sourceMap },
    ...bundle.chunks.flatMap((chunk) => [
      { name: chunk.file, data: chunk.code },
      { name: chunk.sourceMapFile, data: chunk.sourceMap },
    ]),
    { name: LICENSES_FILE, data: Buffer.from(licenses.text, 'utf8') },
  ];
  const zip = await createDeterministicZip(entries);
  const zipPath = path.join(outDir, `${source.name}.zip`);
  await writeAtomically(zipPath, zip);
  return {
    name: source.name,
    entry: source.entry,
    zipPath,
    bytes: zip.length,
    sha256: sha256Hex(zip),
    limitBytes: ZIP_SIZE_LIMITS[source.name],
    contents: entries.map((entry) => ({
      name: entry.name,
      bytes: entry.data.length,
      sha256: sha256Hex(entry.data),
    })),
    packages: licenses.packages,
  };
}

/**
 * Bundle and zip every function whose entry exists. A missing entry is skipped (and a
 * stale zip of that name removed, so it cannot be deployed by mistake). Writes
 * manifest.json with sizes and hashes; it holds no timestamps so it is reproducible too.
 */
export async function buildFunctions(input: BuildInput): Promise<BuildResult> {
  const rootDir = path.resolve(input.rootDir);
  const outDir = path.resolve(input.outDir ?? path.join(rootDir, 'dist'));
  const sources = [...(input.sources ?? defaultSources())];
  await mkdir(outDir, { recursive: true });
  const built: BuiltZip[] = [];
  const skipped: SkippedFunction[] = [];
  for (const source of sources) {
    if (!(await exists(path.resolve(rootDir, source.entry)))) {
      skipped.push({ name: source.name, entry: source.entry, reason: `${source.entry} does not exist` });
      await rm(path.join(outDir, `${source.name}.zip`), { force: true });
      continue;
    }
    built.push(await buildOne(rootDir, outDir, source));
  }
  const manifest = {
    esbuild: esbuildVersion,
    functions: built.map((zip) => ({
      name: zip.name,
      entry: zip.entry,
      zip: path.basename(zip.zipPath),
      bytes: zip.bytes,
      sha256: zip.sha256,
      limitBytes: zip.limitBytes ?? null,
      contents: zip.contents,
      packages: zip.packages,
    })),
    skipped: skipped.map(({ name, entry, reason }) => ({ name, entry, reason })),
  };
  const manifestPath = path.join(outDir, MANIFEST_FILE);
  await writeAtomically(manifestPath, `${JSON.stringify(manifest, null, 2)}\n`);
  return { built, skipped, manifestPath };
}

/** Zips over their size budget, as messages naming the zip, its size and the limit. */
export function sizeViolations(result: BuildResult): string[] {
  return result.built
    .filter((zip) => zip.limitBytes !== undefined && zip.bytes > zip.limitBytes)
    .map((zip) => `${zip.name}.zip is ${zip.bytes} bytes, over its ${zip.limitBytes} byte budget`);
}

export function formatReport(result: BuildResult, rootDir: string): string {
  const lines = result.built.map((zip) => {
    const kb = (zip.bytes / 1000).toFixed(1).padStart(7);
    const budget = zip.limitBytes ? ` (budget ${zip.limitBytes / 1000} KB)` : '';
    return `${path.relative(rootDir, zip.zipPath).padEnd(20)} ${kb} KB  sha256 ${zip.sha256}${budget}`;
  });
  for (const skip of result.skipped) lines.push(`${`${skip.name}.zip`.padEnd(20)} skipped: ${skip.reason}`);
  lines.push(`manifest: ${path.relative(rootDir, result.manifestPath)}`);
  return lines.join('\n');
}
