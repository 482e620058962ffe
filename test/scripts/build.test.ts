import { execFile } from 'node:child_process';
import { isBuiltin } from 'node:module';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  bundleFunction,
  ENTRY_FILE,
  OPTIONAL_NATIVE_MODULES,
  SOURCE_MAP_FILE,
} from '../../scripts/build/bundle.ts';
import { buildFunctions, sizeViolations, type BuildResult } from '../../scripts/build/build-functions.ts';
import { LICENSES_FILE } from '../../scripts/build/licenses.ts';
import {
  decodeMappings,
  decodeVlq,
  encodeVlq,
  trimSourceMap,
  isProjectSource,
  type RawSourceMap,
} from '../../scripts/build/source-map.ts';
import { extractZip, readZip } from '../../scripts/build/unzip.ts';

const rootDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const fixture = { name: 'fixture', entry: 'test/scripts/build-fixture/handler.ts' };
const run = promisify(execFile);

/** Loads index.mjs in a fresh node process (no node_modules anywhere near it) and calls the handler with a bad event. */
const LOADER = `
const mod = await import(process.argv[1]);
try { await mod.handler({ Step: 'createSecret' }, { awsRequestId: 'req-1', functionName: 'fixture' }); console.log(JSON.stringify({ ok: true })); }
catch (error) { console.log(JSON.stringify({ ok: false, name: error.name, code: error.code, stack: error.stack })); }
`;

describe('build', () => {
  let workDir: string;
  let first: BuildResult;
  let second: BuildResult;

  beforeAll(async () => {
    workDir = await mkdtemp(path.join(tmpdir(), 'build-test-'));
    first = await buildFunctions({ rootDir, outDir: path.join(workDir, 'one'), sources: [fixture] });
    second = await buildFunctions({ rootDir, outDir: path.join(workDir, 'two'), sources: [fixture] });
  }, 60_000);

  afterAll(async () => {
    await rm(workDir, { recursive: true, force: true });
  });

  it('gives byte-identical zips and manifests from two builds into different folders', async () => {
    const [a, b] = [first.built[0], second.built[0]];
    expect(a?.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(b?.sha256).toBe(a?.sha256);
    expect(await readFile(b?.zipPath ?? '')).toEqual(await readFile(a?.zipPath ?? ''));
    expect(await readFile(second.manifestPath, 'utf8')).toBe(await readFile(first.manifestPath, 'utf8'));
  });

  it('writes a manifest with each zip size and SHA-256 and no timestamps', async () => {
    const manifest = JSON.parse(await readFile(first.manifestPath, 'utf8')) as {
      functions: { name: string; zip: string; bytes: number; sha256: string }[];
    };
    const zip = await readFile(first.built[0]?.zipPath ?? '');
    expect(manifest.functions).toHaveLength(1);
    expect(manifest.functions[0]).toMatchObject({
      name: 'fixture',
      zip: 'fixture.zip',
      bytes: zip.length,
      sha256: first.built[0]?.sha256,
    });
    expect(await readFile(first.manifestPath, 'utf8')).not.toMatch(/20\d\d-\d\d-\d\dT/);
  });

  it('puts exactly the entry, its source map, the lazy chunks with their maps and the licence notices in the zip, with fixed times and modes', async () => {
    const entries = await readZip(first.built[0]?.zipPath ?? '');
    const bundle = await bundleFunction({ rootDir, entry: fixture.entry, name: fixture.name });
    expect(entries.map((entry) => entry.name)).toEqual([
      ENTRY_FILE,
      SOURCE_MAP_FILE,
      ...bundle.chunks.flatMap((chunk) => [chunk.file, chunk.sourceMapFile]),
      LICENSES_FILE,
    ]);
    for (const chunk of bundle.chunks) {
      expect(chunk.file).toMatch(/^[a-z-]+-[A-Z0-9]{8}\.mjs$/);
      expect(chunk.sourceMapFile).toBe(`${chunk.file}.map`);
    }
    for (const entry of entries) {
      expect(entry.mode).toBe(0o100644);
      // DOS date 1980-01-01 00:00:00 and no extended timestamp (0x5455) that would carry the build time.
      expect(entry.dosDate).toBe((0 << 9) | (1 << 5) | 1);
      expect(entry.dosTime).toBe(0);
      expect(entry.extraFieldIds).not.toContain(0x5455);
    }
    const code = entries[0]?.data.toString('utf8') ?? '';
    expect(code.startsWith("import { createRequire as __rotationCreateRequire } from 'node:module'")).toBe(
      true,
    );
    expect(code.trimEnd().endsWith(`//# sourceMappingURL=${SOURCE_MAP_FILE}`)).toBe(true);
    expect(entries.at(-1)?.data.toString('utf8')).toMatch(/pg@\d+\.\d+\.\d+ \(MIT\)/);
  });

  it('leaves optional native modules out of the bundle', async () => {
    const bundle = await bundleFunction({ rootDir, entry: fixture.entry, name: fixture.name });
    const inputs = Object.keys(bundle.metafile.inputs);
    expect(inputs.some((input) => input.includes('node_modules/pg/'))).toBe(true);
    for (const native of OPTIONAL_NATIVE_MODULES)
      expect(inputs.some((input) => input.includes(`node_modules/${native}/`))).toBe(false);
    const imports = Object.values(bundle.metafile.outputs).flatMap((output) =>
      output.imports.map((entry) => entry.path),
    );
    // What stays external is Node itself plus the optional modules, loaded only behind runtime checks
    // (the bundle's own chunks import each other).
    const outputs = new Set(Object.keys(bundle.metafile.outputs));
    expect(
      imports.filter(
        (name) => !isBuiltin(name) && !OPTIONAL_NATIVE_MODULES.includes(name) && !outputs.has(name),
      ),
    ).toEqual([]);
    expect(imports).toContain('pg-native');
  });

  it('loads in a fresh node process without node_modules and rejects a bad event with ERR_EVENT_INVALID', async () => {
    const dir = path.join(workDir, 'unzipped');
    await extractZip(first.built[0]?.zipPath ?? '', dir);
    const { stdout } = await run(
      process.execPath,
      ['--enable-source-maps', '--input-type=module', '-e', LOADER, path.join(dir, ENTRY_FILE)],
      {
        cwd: dir,
        env: {
          PATH: process.env.PATH,
          AWS_REGION: 'us-east-1',
          AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
        },
      },
    );
    const result = JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}') as {
      ok: boolean;
      name: string;
      code: string;
      stack: string;
    };
    expect(result).toMatchObject({ ok: false, name: 'RotationError', code: 'ERR_EVENT_INVALID' });
    // The source map turns the minified frame back into the TypeScript source line.
    expect(result.stack).toMatch(
      new RegExp(`${dir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}/shared/event\\.ts:\\d+:\\d+`),
    );
  }, 20_000);

  it('skips a function whose entry does not exist and removes its stale zip', async () => {
    const outDir = path.join(workDir, 'skip');
    await buildFunctions({ rootDir, outDir, sources: [] });
    await writeFile(path.join(outDir, 'missing.zip'), 'stale');
    const result = await buildFunctions({
      rootDir,
      outDir,
      sources: [{ name: 'missing', entry: 'functions/missing/handler.ts' }],
    });
    expect(result.built).toEqual([]);
    expect(result.skipped).toEqual([
      {
        name: 'missing',
        entry: 'functions/missing/handler.ts',
        reason: 'functions/missing/handler.ts does not exist',
      },
    ]);
    await expect(readFile(path.join(outDir, 'missing.zip'))).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('reports a zip over its size budget by name, size and limit', () => {
    const result: BuildResult = {
      ...first,
      built: first.built.map((zip) => ({ ...zip, name: 'jwt', limitBytes: 1000 })),
    };
    expect(sizeViolations(result)).toEqual([
      `jwt.zip is ${first.built[0]?.bytes} bytes, over its 1000 byte budget`,
    ]);
    expect(sizeViolations(first)).toEqual([]);
  });
});

describe('source map trimming', () => {
  it('round-trips base64 VLQ values', () => {
    const values = [0, 1, -1, 15, -16, 16, 1023, -1024, 123456789];
    expect(decodeVlq(encodeVlq(values))).toEqual(values);
    expect(encodeVlq([0, 0, 16, 1])).toBe('AAgBC');
  });

  it('keeps every mapping into project sources unchanged and drops library sources', async () => {
    const full = await bundleFunction({
      rootDir,
      entry: fixture.entry,
      name: fixture.name,
      fullSourceMap: true,
    });
    const map = JSON.parse(Buffer.from(full.sourceMap).toString('utf8')) as RawSourceMap;
    const trimmed = trimSourceMap(map, isProjectSource);
    expect(map.sources.some((source) => source.includes('node_modules'))).toBe(true);
    expect(trimmed.sources.length).toBeGreaterThan(0);
    expect(trimmed.sources.every(isProjectSource)).toBe(true);
    const key = (
      line: number,
      segment: number[],
      sources: readonly string[],
      names: readonly string[],
    ): string =>
      `${line}:${segment[0]}:${sources[segment[1] ?? -1]}:${segment[2]}:${segment[3]}:${segment.length > 4 ? names[segment[4] ?? -1] : ''}`;
    const expected = decodeMappings(map.mappings).flatMap((segments, line) =>
      segments
        .filter((segment) => segment.length > 1 && isProjectSource(map.sources[segment[1] ?? -1] ?? ''))
        .map((segment) => key(line, segment, map.sources, map.names)),
    );
    const actual = decodeMappings(trimmed.mappings).flatMap((segments, line) =>
      segments
        .filter((segment) => segment.length > 1)
        .map((segment) => key(line, segment, trimmed.sources, trimmed.names)),
    );
    expect(actual).toEqual(expected);
    expect(trimmed.mappings.length).toBeLessThan(map.mappings.length / 5);
  }, 30_000);
});
