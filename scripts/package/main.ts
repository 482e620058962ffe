/**
 * `npm run package`: the two packages users install, as tarballs in dist/packages/:
 *   sm-rotation-cdk-<version>.tgz  the CDK construct library, with the three function zips inside
 *   sm-rotation-cli-<version>.tgz  the `rotation` operator CLI, one bundled file, no dependencies
 * Prints each tarball with its npm integrity. Options: --only cdk|cli, --out <dir>.
 */
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { npmPack } from './npm-pack.ts';
import { stageCdkPackage } from './package-cdk.ts';
import { stageCliPackage } from './package-cli.ts';

const rootDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const PACKAGES = { cdk: stageCdkPackage, cli: stageCliPackage } as const;

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: { only: { type: 'string' }, out: { type: 'string' } },
    strict: true,
  });
  const names = values.only === undefined ? (['cdk', 'cli'] as const) : [values.only];
  for (const name of names)
    if (!(name in PACKAGES)) {
      console.error(`--only must be cdk or cli, got "${name}"`);
      return 2;
    }
  const outDir = path.resolve(values.out ?? path.join(rootDir, 'dist/packages'));
  await mkdir(outDir, { recursive: true });
  for (const name of names as (keyof typeof PACKAGES)[]) {
    const stageDir = path.join(outDir, 'stage', name);
    await PACKAGES[name](rootDir, stageDir);
    const packed = await npmPack(stageDir, outDir);
    console.log(
      `${path.join(path.relative(rootDir, outDir) || '.', packed.filename)}  ${packed.files} files  ${packed.integrity}`,
    );
  }
  return 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    console.error(error instanceof Error ? error.message : String(error));
    process.exitCode = 1;
  },
);
