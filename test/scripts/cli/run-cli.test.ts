import { describe, expect, it } from 'vitest';
import { ExitCode, worstExitCode } from '../../../scripts/cli/exit-code.ts';
import { createMemoryOutput, stripAnsi } from '../../../scripts/cli/output.ts';
import { COMMANDS, runCli } from '../../../scripts/cli/run-cli.ts';
import { formatTable } from '../../../scripts/cli/table.ts';
import { describeAwsError, resolveAwsSettings } from '../../../scripts/cli/aws-client.ts';

// Usage errors are decided before any AWS call: these runs need no endpoint.
const run = async (argv: string[]) => {
  const out = createMemoryOutput();
  const code = await runCli(argv, { env: {}, out });
  return { code, out };
};

describe('runCli usage', () => {
  it('prints help for every command with exit 0', async () => {
    for (const command of COMMANDS) {
      const { code, out } = await run([command.name, '--help']);
      expect(code).toBe(ExitCode.ok);
      expect(out.stdoutText()).toContain(`Usage: rotation ${command.name}`);
      expect(out.stdoutText()).toContain('Exit codes');
    }
    expect((await run(['--help'])).out.stdoutText()).toContain('Commands:');
  });

  it('exits 2 with the problem named for unknown commands, unknown options and missing arguments', async () => {
    const cases: [string[], string][] = [
      [['rotat'], 'unknown command "rotat"'],
      [['status', '--bogus'], "Unknown option '--bogus'"],
      [['rotate'], 'name at least one secret'],
      [['repair'], 'exactly one secret id'],
      [['rotate', 's', '--concurrency', '0'], '--concurrency must be between 1 and 100'],
      [['rotate', 's', '--follow', 'psychic'], '--follow must be auto, emulator or poll'],
      [['rotate', 's', '--emergency', '--interval-ms', '5'], '--interval-ms must be between 10 and 60000'],
      [['rotate', 's', '--after-days', '0'], '--after-days must be between 1 and 1000'],
      [['rotate', '--filter', ' '], '--filter needs a non-empty name prefix'],
      [['status', '--endpoint-url', 'ftp://x'], '--endpoint-url must be an http(s) URL'],
      [[], 'Usage: rotation <command>'],
    ];
    for (const [argv, message] of cases) {
      const { code, out } = await run(argv);
      expect(code, argv.join(' ')).toBe(ExitCode.usage);
      expect(out.text()).toContain(message);
    }
  });
});

describe('worstExitCode', () => {
  it('ranks a failed rotation above an AWS error and both above success', () => {
    expect(worstExitCode([ExitCode.ok, ExitCode.awsError, ExitCode.failed])).toBe(ExitCode.failed);
    expect(worstExitCode([ExitCode.ok, ExitCode.awsError])).toBe(ExitCode.awsError);
    expect(worstExitCode([])).toBe(ExitCode.ok);
  });
});

describe('formatTable', () => {
  it('aligns columns by visible width, ignoring colour codes', () => {
    const table = stripAnsi(
      formatTable(
        ['A', 'B'],
        [
          ['\u001b[31mred\u001b[0m', 'x'],
          ['longer', 'y'],
        ],
      ),
    );
    const lines = table.split('\n');
    expect(lines).toEqual(['A       B', 'red     x', 'longer  y']);
  });
});

describe('resolveAwsSettings', () => {
  it('prefers the flag, then the SDK endpoint variables, and defaults the region for loopback endpoints only', () => {
    expect(resolveAwsSettings({ endpointUrl: 'http://127.0.0.1:4566/' }, {})).toEqual({
      endpoint: 'http://127.0.0.1:4566',
      region: 'us-east-1',
      local: true,
    });
    expect(
      resolveAwsSettings(
        {},
        { AWS_ENDPOINT_URL_SECRETS_MANAGER: 'http://localhost:1', AWS_ENDPOINT_URL: 'http://other:2' },
      ).endpoint,
    ).toBe('http://localhost:1');
    expect(resolveAwsSettings({}, { AWS_REGION: 'eu-west-1' })).toEqual({
      endpoint: undefined,
      region: 'eu-west-1',
      local: false,
    });
    expect(resolveAwsSettings({}, {}).region).toBeUndefined();
  });
});

describe('describeAwsError', () => {
  it('adds what to do for missing credentials, a missing region and an unreachable endpoint', () => {
    const credentials = Object.assign(new Error('Could not load credentials from any providers'), {
      name: 'CredentialsProviderError',
    });
    expect(describeAwsError(credentials).message).toContain('AWS_PROFILE');
    expect(describeAwsError(new Error('Region is missing')).message).toContain('--region');
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9'), { code: 'ECONNREFUSED' });
    expect(describeAwsError(refused)).toEqual({
      name: 'ECONNREFUSED',
      message: 'cannot reach the Secrets Manager endpoint (connect ECONNREFUSED 127.0.0.1:9)',
    });
  });
});
