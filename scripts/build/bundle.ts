import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type BuildOptions, type Metafile, type Plugin } from 'esbuild';
import { isProjectSource, trimSourceMap, type RawSourceMap } from './source-map.ts';

/**
 * esbuild settings for one rotation function. The output is an ESM entry, `index.mjs`,
 * exporting `handler`, with an external source map beside it, plus one chunk (and its map)
 * for each module loaded by a dynamic `import()`: adapters only some secrets need (the RDS
 * and ElastiCache clients, shared/lazy-port.ts) are parsed only when first called.
 *
 * Decisions (measured on the project's machines, see /work/shared/reference/test-bed.md):
 * - ESM, not CJS: 25-35 % smaller and 100-150 ms faster to load.
 * - The AWS SDK v3 is bundled rather than taken from the runtime: marking it external
 *   saves about 95 KB of zip but was not faster to load, and bundling pins the exact
 *   client version the tests ran against (the runtime's copy changes under you).
 * - `keepNames`: minification would otherwise mangle class names, and errors are
 *   recognised by `name` (RotationError, the SDK's ResourceNotFoundException).
 * - Code splitting (ESM only): chunk names carry a content hash, so two builds of the same
 *   sources give the same files; nothing that `index.mjs` imports statically is split out.
 * - Source maps are external (`index.mjs.map`) without `sourcesContent`, trimmed to the
 *   project's own sources (source-map.ts); stack traces use them when the function runs
 *   with `NODE_OPTIONS=--enable-source-maps`.
 */

/**
 * Optional native or platform-specific modules that must never be bundled. They are
 * only reached behind a runtime check, so leaving them out is safe:
 * - `pg-native`: node-postgres' libpq binding, used only by `require('pg').native`.
 * - `pg-cloudflare` / `cloudflare:sockets`: node-postgres' Cloudflare Workers socket.
 * - `aws-crt` / `@aws-sdk/crt-loader`: the SDK's optional CRT (SigV4a only).
 */
export const OPTIONAL_NATIVE_MODULES: readonly string[] = Object.freeze([
  'pg-native',
  'pg-cloudflare',
  'cloudflare:sockets',
  'aws-crt',
  '@aws-sdk/crt-loader',
]);

/** Defines `require` for CommonJS dependencies bundled into an ES module
 *  (without it: "Dynamic require of \"events\" is not supported"). */
export const ESM_REQUIRE_BANNER =
  "import { createRequire as __rotationCreateRequire } from 'node:module'; const require = __rotationCreateRequire(import.meta.url);";

/**
 * Replaces the SDK's default credential chain with lambda-credentials.ts (environment,
 * then container credentials): the only sources a Lambda function has. Saves the STS,
 * SSO and sign-in clients, about 115 KB minified per function.
 */
export const lambdaCredentialsPlugin: Plugin = {
  name: 'lambda-credentials',
  setup(build) {
    const shim = fileURLToPath(new URL('./lambda-credentials.ts', import.meta.url));
    build.onResolve({ filter: /^@aws-sdk\/credential-provider-node$/ }, () => ({ path: shim }));
  },
};

/**
 * SDK parts that only code paths these functions never take reach, each by a dynamic import():
 * - `bowser` parses a browser's user agent for the SDK's browser user-agent provider, which
 *   only a browser reaches (Node uses util-user-agent-node): bowser-stub.ts, 37 KB less.
 * - `@smithy/core/event-streams`, for operations with an event-stream member; no Secrets
 *   Manager, RDS or ElastiCache operation has one: event-streams-stub.ts, 15 KB less.
 */
export const unusedSdkPartsPlugin: Plugin = {
  name: 'unused-sdk-parts',
  setup(build) {
    const bowser = fileURLToPath(new URL('./bowser-stub.ts', import.meta.url));
    const eventStreams = fileURLToPath(new URL('./event-streams-stub.ts', import.meta.url));
    build.onResolve({ filter: /^bowser$/ }, () => ({ path: bowser }));
    build.onResolve({ filter: /^@smithy\/core\/event-streams$/ }, () => ({ path: eventStreams }));
  },
};

export const ENTRY_FILE = 'index.mjs';
export const SOURCE_MAP_FILE = `${ENTRY_FILE}.map`;

export interface BundleInput {
  /** The repository root; paths in the source map are relative to it, so they do not depend on where the build writes. */
  readonly rootDir: string;
  /** The entry module (e.g. functions/jwt/handler.ts), absolute or relative to rootDir. */
  readonly entry: string;
  /** A name for the bundle's virtual folder (the kind); keeps source-map paths stable. */
  readonly name: string;
  /** Map the bundled libraries too (about +150 KB of zip). Default false: only the project's own sources. */
  readonly fullSourceMap?: boolean;
  /** Keep the SDK's full default credential chain. Default false: lambdaCredentialsPlugin. */
  readonly fullCredentialChain?: boolean;
}

/** A lazily loaded part of a bundle: `<module>-<hash>.mjs` and its source map. */
export interface BundleChunk {
  readonly file: string;
  readonly code: Uint8Array;
  readonly sourceMapFile: string;
  readonly sourceMap: Uint8Array;
}

export interface Bundle {
  readonly code: Uint8Array;
  readonly sourceMap: Uint8Array;
  /** Chunks loaded by dynamic import(), sorted by file name. Empty when the entry has none. */
  readonly chunks: readonly BundleChunk[];
  readonly metafile: Metafile;
}

export function esbuildOptions(input: BundleInput): BuildOptions {
  return {
    absWorkingDir: input.rootDir,
    entryPoints: [path.resolve(input.rootDir, input.entry)],
    // A fixed virtual location: nothing is written (write: false), but source-map paths
    // are computed from here, so they are identical whichever folder the zip goes to.
    outdir: path.join(input.rootDir, 'dist', input.name),
    entryNames: ENTRY_FILE.replace(/\.mjs$/, ''),
    chunkNames: '[name]-[hash]',
    outExtension: { '.js': '.mjs' },
    splitting: true,
    write: false,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'esm',
    mainFields: ['module', 'main'],
    minify: true,
    treeShaking: true,
    keepNames: true,
    sourcemap: 'linked',
    sourcesContent: false,
    legalComments: 'none',
    banner: { js: ESM_REQUIRE_BANNER },
    external: [...OPTIONAL_NATIVE_MODULES],
    plugins: input.fullCredentialChain
      ? [unusedSdkPartsPlugin]
      : [lambdaCredentialsPlugin, unusedSdkPartsPlugin],
    metafile: true,
    logLevel: 'silent',
    charset: 'utf8',
  };
}

/** Source paths relative to the repository root (shared/event.ts), so a Lambda stack trace
 *  reads /var/task/shared/event.ts:35 rather than a path above the task root. */
function rebaseSourceMap(input: BundleInput, outputPath: string, text: string): Uint8Array {
  const map = JSON.parse(text) as RawSourceMap;
  const trimmed = input.fullSourceMap ? map : trimSourceMap(map, isProjectSource);
  const outDir = path.dirname(outputPath);
  const sources = trimmed.sources.map((source) =>
    path.relative(input.rootDir, path.resolve(outDir, source)).split(path.sep).join('/'),
  );
  return Buffer.from(JSON.stringify({ ...trimmed, sources }), 'utf8');
}

export async function bundleFunction(input: BundleInput): Promise<Bundle> {
  const result = await build(esbuildOptions(input));
  const files = result.outputFiles ?? [];
  const mapOf = (file: { path: string }) => files.find((candidate) => candidate.path === `${file.path}.map`);
  const code = files.find((file) => path.basename(file.path) === ENTRY_FILE);
  const sourceMap = code && mapOf(code);
  if (!code || !sourceMap || !result.metafile)
    throw new Error(`esbuild produced no ${ENTRY_FILE} and source map for ${input.entry}`);
  const chunks = files
    .filter((file) => file !== code && file.path.endsWith('.mjs'))
    .map((file): BundleChunk => {
      const map = mapOf(file);
      if (!map) throw new Error(`esbuild produced no source map for ${path.basename(file.path)}`);
      return {
        file: path.basename(file.path),
        code: file.contents,
        sourceMapFile: path.basename(map.path),
        sourceMap: rebaseSourceMap(input, file.path, map.text),
      };
    })
    .sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0));
  return {
    code: code.contents,
    sourceMap: rebaseSourceMap(input, code.path, sourceMap.text),
    chunks,
    metafile: result.metafile,
  };
}
