/**
 * `npm run build`: one reproducible zip per rotation function in dist/ (jwt.zip,
 * postgres.zip, redis.zip), each holding index.mjs (ESM, exports `handler`), its source
 * map and the bundled packages' licence notices. Prints each zip's size and SHA-256 and
 * writes dist/manifest.json. A zip over its size budget is reported as a warning; with
 * --strict it fails the build. Exits 1 when a build fails.
 *
 * Options: --out <dir> (default dist), --only <name,name> (default all), --strict.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { buildFunctions, defaultSources, formatReport, sizeViolations } from './build-functions.ts';

const rootDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      out: { type: 'string' },
      only: { type: 'string' },
      strict: { type: 'boolean', default: false },
    },
    strict: true,
  });
  const only = values.only
    ?.split(',')
    .map((name) => name.trim())
    .filter(Boolean);
  const sources = defaultSources().filter((source) => !only || only.includes(source.name));
  if (only && sources.length !== only.length) {
    console.error(
      `--only names unknown functions: ${only.filter((name) => !sources.some((source) => source.name === name)).join(', ')}`,
    );
    return 2;
  }
  const result = await buildFunctions({
    rootDir,
    outDir: values.out ? path.resolve(values.out) : undefined,
    sources,
  });
  console.log(formatReport(result, rootDir));
  const violations = sizeViolations(result);
  for (const violation of violations) console.error(`${values.strict ? 'error' : 'warning'}: ${violation}`);
  return values.strict && violations.length > 0 ? 1 : 0;
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
