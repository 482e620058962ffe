import { execFile } from 'node:child_process';
import { copyFile, cp, mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { buildFunctions } from '../build/build-functions.ts';

const run = promisify(execFile);

/**
 * Stage the CDK construct library as npm installs it, in `stageDir`:
 *   package.json   infra/cdk/package.json as is (peer dependencies aws-cdk-lib, constructs)
 *   lib/           infra/cdk/src compiled by tsc to CommonJS + .d.ts (lib/package.json says commonjs)
 *   assets/        jwt.zip, postgres.zip, redis.zip and manifest.json, built here (deterministic)
 *   README.md      infra/README.md
 * Every input is deterministic (zips, tsc output, copied files), so the same commit packs
 * to the same tarball. `zipsFrom` copies already built zips (and their manifest) instead.
 */
export async function stageCdkPackage(
  rootDir: string,
  stageDir: string,
  options: { readonly zipsFrom?: string } = {},
): Promise<void> {
  await rm(stageDir, { recursive: true, force: true });
  await mkdir(stageDir, { recursive: true });
  const cdkDir = path.join(rootDir, 'infra/cdk');
  const libDir = path.join(stageDir, 'lib');
  const tsc = path.join(rootDir, 'node_modules/typescript/bin/tsc');
  const assetsDir = path.join(stageDir, 'assets');
  await Promise.all([
    run(process.execPath, [tsc, '-p', path.join(cdkDir, 'tsconfig.build.json'), '--outDir', libDir]).catch(
      (error: { stdout?: string; message: string }) => {
        throw new Error(`tsc failed for infra/cdk:\n${error.stdout ?? error.message}`);
      },
    ),
    options.zipsFrom === undefined
      ? buildZips(rootDir, assetsDir)
      : cp(options.zipsFrom, assetsDir, { recursive: true }),
  ]);
  await rewriteDeclarationImports(libDir);
  // The package root is "type": "module" like the repository; the compiled library is CommonJS.
  await writeFile(path.join(libDir, 'package.json'), `${JSON.stringify({ type: 'commonjs' }, null, 2)}\n`);
  await copyFile(path.join(cdkDir, 'package.json'), path.join(stageDir, 'package.json'));
  await copyFile(path.join(rootDir, 'infra/README.md'), path.join(stageDir, 'README.md'));
}

async function buildZips(rootDir: string, assetsDir: string): Promise<void> {
  const built = await buildFunctions({ rootDir, outDir: assetsDir });
  if (built.skipped.length > 0)
    throw new Error(
      `zips not built: ${built.skipped.map((skip) => `${skip.name} (${skip.reason})`).join(', ')}`,
    );
}

/** tsc keeps `./x.ts` in .d.ts imports; consumers resolve `./x.js` (TS5097 otherwise). */
async function rewriteDeclarationImports(libDir: string): Promise<void> {
  for (const file of (await readdir(libDir)).filter((name) => name.endsWith('.d.ts')).sort()) {
    const full = path.join(libDir, file);
    const text = await readFile(full, 'utf8');
    await writeFile(full, text.replace(/(from\s+|import\()(['"])(\.{1,2}\/[^'"]+)\.ts\2/g, '$1$2$3.js$2'));
  }
}
