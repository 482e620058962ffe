import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Env } from '../../shared/config.ts';
import { formatDuration } from '../cli/format.ts';
import { painter, writeLine, type Output } from '../cli/output.ts';
import { formatTable } from '../cli/table.ts';
import { Cleanup } from './cleanup.ts';
import { runDemo, type Demo, type DemoResult, type DemoStack } from './demo.ts';
import { jwtDemos } from './demos/jwt.ts';
import { postgresDemos } from './demos/postgres.ts';
import { redisDemos } from './demos/redis.ts';
import { KINDS, runBuild, staleBundles } from './ensure-build.ts';
import { startLocalStack } from './local-stack.ts';
import { MissingServersError, provisionLocalServers } from '../testbed/provision.ts';
import { containerRuntimeAvailable } from '../testbed/servers.ts';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

export const ALL_DEMOS: readonly Demo[] = [...jwtDemos, ...postgresDemos, ...redisDemos];

/**
 * `npm start`: the whole project working on one machine. Starts the emulator, a real
 * PostgreSQL and Redis, builds the function zips if needed, creates one secret per kind
 * and format, registers the zips as rotation functions, rotates each secret with the CLI
 * and checks the result against the real servers. Stops everything it started, also on
 * Ctrl-C. Returns the process exit code (0 when every demo passed).
 */
export async function runStart(options: {
  readonly env: Env;
  readonly out: Output;
  readonly signal?: AbortSignal;
  readonly cleanup?: Cleanup;
}): Promise<number> {
  const { env, out } = options;
  const paint = painter(out.color);
  const cleanup = options.cleanup ?? new Cleanup();
  const started = Date.now();
  writeLine(out.stdout, paint.bold('Secrets Manager rotation functions: local demo (npm start)'));

  // Missing server binaries: installed (root + apt, with a notice), else containers, else the
  // one command to run, and nothing started or changed (scripts/testbed/provision.ts).
  try {
    await provisionLocalServers({
      containerAnswers: containerRuntimeAvailable,
      notice: (line) => writeLine(out.stderr, line),
      env,
    });
  } catch (error) {
    if (!(error instanceof MissingServersError)) throw error;
    writeLine(out.stderr, error.message);
    return 1;
  }

  const stale = staleBundles(ROOT);
  if (stale.length > 0) {
    writeLine(
      out.stdout,
      `building function zips (${stale.join(', ')} missing or older than the sources): npm run build`,
    );
    const buildStarted = Date.now();
    const build = await runBuild(ROOT);
    if (build.code !== 0)
      writeLine(
        out.stderr,
        `npm run build failed (exit ${build.code}); going on with the zips that exist:\n${build.output}`,
      );
    else writeLine(out.stdout, `  built in ${formatDuration(Date.now() - buildStarted)}`);
  } else {
    writeLine(out.stdout, 'function zips are up to date (dist/*.zip)');
  }

  try {
    const stackStarted = Date.now();
    const kinds = KINDS.filter((kind) => existsSync(join(ROOT, 'dist', `${kind}.zip`)));
    const stack = await startLocalStack({ root: ROOT, cleanup, out, paint, env, kinds });
    writeLine(
      out.stdout,
      `local stack up in ${formatDuration(Date.now() - stackStarted)}: emulator ${stack.endpoint}, PostgreSQL 127.0.0.1:${stack.postgres.port}, Redis 127.0.0.1:${stack.redis.port}`,
    );
    const results: DemoResult[] = [];
    for (const demo of ALL_DEMOS) {
      if (options.signal?.aborted) break;
      if (!kinds.includes(demo.kind)) {
        writeLine(
          out.stdout,
          `\n${paint.yellow(`== ${demo.title}: skipped`)} (no dist/${demo.kind}.zip: the ${demo.kind} function did not build)`,
        );
        results.push({
          title: demo.title,
          secretName: demo.secretName,
          exitCode: -1,
          checks: [],
          durationMs: 0,
          error: 'skipped: not built',
        });
        continue;
      }
      results.push(await runDemo(stack, demo));
    }
    const leaks = await leakScan(stack, out);
    return report(stack, results, leaks, Date.now() - started);
  } catch (error) {
    // Server start-up failures carry the test bed's message (which binary, which command installs it).
    writeLine(out.stderr, `npm start failed: ${error instanceof Error ? error.message : String(error)}`);
    return 1;
  } finally {
    writeLine(out.stdout, '\nstopping everything npm start started...');
    const failed = await cleanup.run();
    writeLine(out.stdout, failed.length === 0 ? 'stopped.' : `could not stop: ${failed.join(', ')}`);
  }
}

/** No secret value in anything the demo printed or the functions logged. */
async function leakScan(
  stack: DemoStack & { readonly printed: () => string; readonly functionLogs: () => string },
  out: Output,
): Promise<number> {
  const haystack = `${stack.printed()}\n${stack.functionLogs()}`;
  const leaked = [...stack.known].filter((value) => haystack.includes(value));
  writeLine(
    out.stdout,
    `\nleak check: ${stack.known.size} secret values (old and new) searched for in ${haystack.length} characters of CLI output and function logs: ${leaked.length === 0 ? 'none found' : `${leaked.length} FOUND`}`,
  );
  return leaked.length;
}

function report(stack: DemoStack, results: readonly DemoResult[], leaks: number, wallMs: number): number {
  const { out, paint } = stack;
  const passed = (result: DemoResult) =>
    result.exitCode === 0 && result.checks.length > 0 && result.checks.every((check) => check.ok);
  writeLine(out.stdout, `\n${paint.bold('Summary')}`);
  writeLine(
    out.stdout,
    formatTable(
      ['DEMO', 'SECRET', 'ROTATION', 'CHECKS', 'TIME'],
      results.map((result) => [
        result.title,
        result.secretName,
        result.exitCode === 0
          ? paint.green('succeeded')
          : paint.red(result.error ? result.error.slice(0, 40) : `failed (exit ${result.exitCode})`),
        `${result.checks.filter((check) => check.ok).length}/${result.checks.length}`,
        formatDuration(result.durationMs),
      ]),
    ),
  );
  const ok = results.length === ALL_DEMOS.length && results.every(passed) && leaks === 0;
  writeLine(
    out.stdout,
    `${ok ? paint.green('all demos passed') : paint.red('some demos failed')} in ${formatDuration(wallMs)}`,
  );
  writeLine(out.stdout, 'next: npm test (unit + integration tests); the CLI: npx rotation --help');
  return ok ? 0 : 1;
}
