import { chmod, copyFile, mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { build } from 'esbuild';
import { thirdPartyLicenses } from '../build/licenses.ts';

/** The bin's first lines: a shebang, and `require` for the CommonJS parts of the SDK bundled into ESM. */
const BANNER = [
  '#!/usr/bin/env node',
  "import { createRequire as __rotationCreateRequire } from 'node:module'; const require = __rotationCreateRequire(import.meta.url);",
].join('\n');

/**
 * Stage the operator CLI as npm installs it, in `stageDir`:
 *   package.json               scripts/cli/package.json (bin `rotation`, no dependencies)
 *   bin/rotation.mjs           scripts/cli/main.ts and everything it imports (the AWS SDK with its full
 *                              credential chain: profiles, SSO, web identity; the JMESPath library)
 *                              bundled by esbuild into one ES module: nothing to resolve at start
 *   THIRD-PARTY-LICENSES.txt   the notices of every bundled package
 *   README.md                  scripts/cli/README.md
 */
export async function stageCliPackage(rootDir: string, stageDir: string): Promise<void> {
  await rm(stageDir, { recursive: true, force: true });
  await mkdir(path.join(stageDir, 'bin'), { recursive: true });
  const bin = path.join(stageDir, 'bin/rotation.mjs');
  const result = await build({
    absWorkingDir: rootDir,
    entryPoints: [path.join(rootDir, 'scripts/cli/main.ts')],
    outfile: bin,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    minify: true,
    keepNames: true,
    legalComments: 'none',
    banner: { js: BANNER },
    metafile: true,
    logLevel: 'silent',
    // The SDK's optional CRT (SigV4a only) is never bundled.
    external: ['aws-crt', '@aws-sdk/crt-loader'],
  });
  await chmod(bin, 0o755);
  const licenses = await thirdPartyLicenses(result.metafile, rootDir);
  await writeFile(
    path.join(stageDir, 'THIRD-PARTY-LICENSES.txt'),
    licenses.text.replace('bundled into index.mjs', 'bundled into bin/rotation.mjs'),
  );
  await copyFile(path.join(rootDir, 'scripts/cli/package.json'), path.join(stageDir, 'package.json'));
  await copyFile(path.join(rootDir, 'scripts/cli/README.md'), path.join(stageDir, 'README.md'));
}
