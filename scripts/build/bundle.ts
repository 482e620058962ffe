import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type BuildOptions, type Metafile, type Plugin } from 'esbuild';
import { isProjectSource, trimSourceMap, type RawSourceMap } from './source-map.ts';

/**
 * esbuild settings for one rotation function. The output is a single ESM file,
 * `index.mjs`, exporting `handler`, with an external source map beside it.
 *
 * Decisions (measured on the project's machines, see /work/shared/reference/test-bed.md):
 * - ESM, not CJS: 25-35 % smaller and 100-150 ms faster to load.
 * - The AWS SDK v3 is bundled rather than taken from the runtime: marking it external
 *   saves about 95 KB of zip but was not faster to load, and bundling pins the exact
 *   client version the tests ran against (the runtime's copy changes under you).
 * - `keepNames`: minification would otherwise mangle class names, and errors are
 *   recognised by `name` (RotationError, the SDK's ResourceNotFoundException).
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

export interface Bundle {
  readonly code: Uint8Array;
  readonly sourceMap: Uint8Array;
  readonly metafile: Metafile;
}

export function esbuildOptions(input: BundleInput): BuildOptions {
  return {
    absWorkingDir: input.rootDir,
    entryPoints: [path.resolve(input.rootDir, input.entry)],
    // A fixed virtual location: nothing is written (write: false), but source-map paths
    // are computed from here, so they are identical whichever folder the zip goes to.
    outfile: path.join(input.rootDir, 'dist', input.name, ENTRY_FILE),
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
    plugins: input.fullCredentialChain ? [] : [lambdaCredentialsPlugin],
    metafile: true,
    logLevel: 'silent',
    charset: 'utf8',
  };
}

export async function bundleFunction(input: BundleInput): Promise<Bundle> {
  const result = await build(esbuildOptions(input));
  const code = result.outputFiles?.find((file) => file.path.endsWith(ENTRY_FILE));
  const sourceMap = result.outputFiles?.find((file) => file.path.endsWith(SOURCE_MAP_FILE));
  if (!code || !sourceMap || !result.metafile)
    throw new Error(`esbuild produced no ${ENTRY_FILE} and source map for ${input.entry}`);
  const map = JSON.parse(sourceMap.text) as RawSourceMap;
  const trimmed = input.fullSourceMap ? map : trimSourceMap(map, isProjectSource);
  // Sources relative to the repository root (shared/event.ts), so a Lambda stack trace
  // reads /var/task/shared/event.ts:35 rather than an path above the task root.
  const outDir = path.dirname(code.path);
  const sources = trimmed.sources.map((source) =>
    path.relative(input.rootDir, path.resolve(outDir, source)).split(path.sep).join('/'),
  );
  const rebased = { ...trimmed, sources };
  return {
    code: code.contents,
    sourceMap: Buffer.from(JSON.stringify(rebased), 'utf8'),
    metafile: result.metafile,
  };
}
