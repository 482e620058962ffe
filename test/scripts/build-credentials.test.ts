import { execFile } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { bundleFunction } from '../../scripts/build/bundle.ts';

const rootDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const run = promisify(execFile);
const shim = path.join(rootDir, 'scripts/build/lambda-credentials.ts');

/** Runs the credential shim in a child process with the given environment (process.env here stays untouched). */
async function resolveCredentials(
  env: Record<string, string>,
): Promise<{ ok: boolean; accessKeyId?: string; sessionToken?: string; name?: string; message?: string }> {
  const script = `
    const { defaultProvider } = await import(${JSON.stringify(shim)});
    try { const c = await defaultProvider({})(); console.log(JSON.stringify({ ok: true, accessKeyId: c.accessKeyId, sessionToken: c.sessionToken })); }
    catch (e) { console.log(JSON.stringify({ ok: false, name: e.name, message: e.message })); }`;
  const { stdout } = await run(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    cwd: rootDir,
    env: { PATH: process.env.PATH ?? '', ...env },
  });
  return JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}') as Awaited<
    ReturnType<typeof resolveCredentials>
  >;
}

describe('Lambda credential chain in the bundles', () => {
  it('returns the credentials Lambda puts in the environment', async () => {
    const result = await resolveCredentials({
      AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE',
      AWS_SECRET_ACCESS_KEY: 'not-a-real-secret',
      AWS_SESSION_TOKEN: 'session-token',
    });
    expect(result).toEqual({ ok: true, accessKeyId: 'AKIDEXAMPLE', sessionToken: 'session-token' });
  }, 20_000);

  it('fails with a message naming the variables when there are no credentials, without revealing any value', async () => {
    const result = await resolveCredentials({ AWS_SECRET_ACCESS_KEY: 'only-half-of-a-pair' });
    expect(result.ok).toBe(false);
    expect(result.name).toBe('CredentialsProviderError');
    expect(result.message).toContain('AWS_ACCESS_KEY_ID');
    expect(result.message).not.toContain('only-half-of-a-pair');
  }, 20_000);

  it('replaces the SDK default chain so the STS, SSO and profile providers are not bundled', async () => {
    const trimmed = await bundleFunction({
      rootDir,
      entry: 'test/scripts/build-fixture/handler.ts',
      name: 'fixture',
    });
    const full = await bundleFunction({
      rootDir,
      entry: 'test/scripts/build-fixture/handler.ts',
      name: 'fixture',
      fullCredentialChain: true,
    });
    const inputs = (bundle: typeof trimmed): string[] => Object.keys(bundle.metafile.inputs);
    const dropped = [
      'credential-provider-ini',
      'credential-provider-sso',
      'credential-provider-web-identity',
      'nested-clients',
    ];
    for (const name of dropped) {
      expect(inputs(full).some((input) => input.includes(`/${name}/`))).toBe(true);
      expect(inputs(trimmed).some((input) => input.includes(`/${name}/`))).toBe(false);
    }
    expect(inputs(trimmed)).toContain('scripts/build/lambda-credentials.ts');
    // The whole bundle, lazily loaded chunks included (the full chain loads its providers with import()).
    const bytes = (bundle: typeof trimmed): number =>
      bundle.code.length + bundle.chunks.reduce((sum, chunk) => sum + chunk.code.length, 0);
    expect(bytes(trimmed)).toBeLessThan(bytes(full) - 50_000);
  }, 30_000);
});
