import { describe, expect, it } from 'vitest';
import { parseCliOptions } from '../../../scripts/emulator/cli-options.ts';

describe('emulator CLI options', () => {
  it('defaults to port 4566 with state in memory and no functions', () => {
    expect(parseCliOptions([])).toEqual({ help: false, functions: [], emulator: { port: 4566 } });
  });

  it('reads every flag, with --function repeatable as NAME=PATH', () => {
    const options = parseCliOptions([
      '--port',
      '0',
      '--state',
      's.json',
      '--function',
      'a=dist/a.zip',
      '--function',
      'b=x=y.ts',
      '--retries',
      '0',
      '--timeout-ms',
      '500',
      '--region',
      'eu-west-1',
      '--replication-delay-ms',
      '1500',
      '--verbose',
    ]);
    expect(options.functions).toEqual([
      { name: 'a', path: 'dist/a.zip' },
      { name: 'b', path: 'x=y.ts' },
    ]);
    expect(options.emulator).toEqual({
      port: 0,
      stateFile: 's.json',
      rotationRetries: 0,
      invocationTimeoutMs: 500,
      region: 'eu-west-1',
      replicationDelayMs: 1500,
      verbose: true,
    });
  });

  it('rejects bad values naming the flag', () => {
    expect(() => parseCliOptions(['--port', 'abc'])).toThrow(/--port/);
    expect(() => parseCliOptions(['--port', '70000'])).toThrow(/--port/);
    expect(() => parseCliOptions(['--function', 'nopath'])).toThrow(/--function expects NAME=PATH/);
    expect(() => parseCliOptions(['--retries', '-1'])).toThrow(/--retries/);
    expect(() => parseCliOptions(['--region', 'mars'])).toThrow(/--region/);
    expect(() => parseCliOptions(['--colour'])).toThrow();
  });
});
