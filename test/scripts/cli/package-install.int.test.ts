import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExitCode } from '../../../scripts/cli/exit-code.ts';
import { startEmulator } from '../../../scripts/emulator/index.ts';
import { npmPack } from '../../../scripts/package/npm-pack.ts';
import { stageCliPackage } from '../../../scripts/package/package-cli.ts';
import { createMemoryLog, createMemoryMetrics } from '../../../scripts/testbed/memory-observability.ts';
import { buildRotationFunction } from '../../../shared/rotation-function.ts';
import { createSdkSecretsPort } from '../../../shared/sdk-secrets-port.ts';
import { TokenTarget, tokenFunction } from './support/token-function.ts';

/**
 * The operator CLI from an operator's seat: `npm run package` packs it, `npm install -g`
 * puts the tarball into an empty prefix (offline: the package has no dependencies), and the
 * installed `rotation` bin runs as its own process, with plain node and no repository around
 * it, against the emulator.
 */
const rootDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const credentials = { accessKeyId: 'x', secretAccessKey: 'x' };

let workDir: string;
let prefix: string;
let bin: string;
let emu: Awaited<ReturnType<typeof startEmulator>>;
let lambdaArn: string;
const target = new TokenTarget();
const known: string[] = [];

function run(
  file: string,
  args: readonly string[],
  env: NodeJS.ProcessEnv,
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(file, args, { env, cwd: workDir }, (error, stdout, stderr) => {
      resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

/** The environment of an operator's shell: PATH and HOME, no AWS settings, no repository on NODE_PATH. */
function shellEnv(): NodeJS.ProcessEnv {
  return {
    PATH: `${path.join(prefix, 'bin')}:${path.dirname(process.execPath)}:/usr/bin:/bin`,
    HOME: workDir,
    NO_COLOR: '1',
  };
}

const rotation = (args: readonly string[]) => run(bin, [...args, '--endpoint-url', emu.endpoint], shellEnv());

beforeAll(async () => {
  workDir = await mkdtemp(path.join(tmpdir(), 'cli-package-'));
  prefix = path.join(workDir, 'prefix');
  await mkdir(prefix);
  const stageDir = path.join(workDir, 'stage');
  await stageCliPackage(rootDir, stageDir);
  const packed = await npmPack(stageDir, workDir);
  const installed = await run(
    'npm',
    [
      'install',
      '--global',
      '--prefix',
      prefix,
      '--offline',
      '--no-audit',
      '--no-fund',
      '--loglevel=error',
      path.join(workDir, packed.filename),
    ],
    { ...process.env, npm_config_update_notifier: 'false' },
  );
  if (installed.code !== 0) throw new Error(`npm install -g failed:\n${installed.stdout}${installed.stderr}`);
  bin = path.join(prefix, 'bin/rotation');

  emu = await startEmulator({ port: 0 });
  const fn = buildRotationFunction(tokenFunction(target), {
    env: { SECRETS_MANAGER_ENDPOINT: emu.endpoint, AWS_REGION: 'us-east-1' },
    logger: createMemoryLog(),
    metrics: createMemoryMetrics(),
    secrets: createSdkSecretsPort(
      new SecretsManagerClient({ endpoint: emu.endpoint, region: 'us-east-1', credentials }),
    ),
  });
  lambdaArn = emu.registerFunction('cli-package-rotator', (event: unknown) => fn.handler(event));
  const sm = new SecretsManagerClient({ endpoint: emu.endpoint, region: 'us-east-1', credentials });
  for (const name of ['pkg/a', 'pkg/b']) {
    const user = name.replace('/', '-');
    const token = `initial-${user}-${Math.random().toString(36).slice(2)}`;
    known.push(token);
    target.tokens.set(user, token);
    await sm.send(new CreateSecretCommand({ Name: name, SecretString: JSON.stringify({ user, token }) }));
  }
}, 300_000);

afterAll(async () => {
  await emu?.close();
  if (workDir) await rm(workDir, { recursive: true, force: true });
});

describe('the packed CLI installed with npm install -g', () => {
  it('installs one bundled bin and nothing else: no dependencies, no tsx', async () => {
    const pkgDir = path.join(prefix, 'lib/node_modules/sm-rotation-cli');
    const manifest = JSON.parse(await readFile(path.join(pkgDir, 'package.json'), 'utf8')) as {
      dependencies?: object;
      bin: Record<string, string>;
    };
    expect(manifest.dependencies).toBeUndefined();
    expect(manifest.bin).toEqual({ rotation: 'bin/rotation.mjs' });
    expect((await readdir(pkgDir)).sort()).toEqual([
      'README.md',
      'THIRD-PARTY-LICENSES.txt',
      'bin',
      'package.json',
    ]);
    expect(await readdir(path.join(prefix, 'lib/node_modules'))).toEqual(['sm-rotation-cli']);
  });

  it('prints its help with exit 0, and exits 2 on a usage error', async () => {
    const started = performance.now();
    const help = await run(bin, ['--help'], shellEnv());
    // A figure for the notes, not an assertion: CI machines are shared.
    console.info(`[figure] installed rotation --help: ${Math.round(performance.now() - started)} ms wall`);
    expect(help.code).toBe(ExitCode.ok);
    expect(help.stdout).toContain('Usage: rotation <command> [options]');
    expect(help.stdout).toMatch(/^ {2}follow /m);
    expect((await run(bin, ['rotate'], shellEnv())).code).toBe(ExitCode.usage);
  });

  it('rotates, reports status and answers a --query against the emulator', async () => {
    const rotated = await rotation(['rotate', 'pkg/a', 'pkg/b', '--rotation-lambda-arn', lambdaArn, '--yes']);
    expect(rotated.stderr).not.toContain('Error');
    expect(rotated.code).toBe(ExitCode.ok);
    expect(rotated.stdout).toContain('2 secret(s): 2 succeeded, 0 failed, 0 AWS errors');
    const status = await rotation(['status', 'pkg/a']);
    expect(status.code).toBe(ExitCode.ok);
    expect(status.stdout).toMatch(/^NAME\s+FUNCTION\s+SCHEDULE/m);
    const query = await rotation([
      'status',
      '--filter',
      'pkg/',
      '--query',
      'secrets[].name',
      '--output',
      'text',
    ]);
    expect(query.stdout.trim().split('\t').sort()).toEqual(['pkg/a', 'pkg/b']);
    const printed = rotated.stdout + rotated.stderr + status.stdout + query.stdout;
    for (const token of [...known, ...target.tokens.values()]) expect(printed).not.toContain(token);
  });
});
