import os from 'node:os';
import { describe, expect, it } from 'vitest';
import { INSTALL_HINTS, findOnPath, requireBinary } from '../../../scripts/testbed/binaries.ts';

describe('requireBinary', () => {
  it('names the apt-get command that installs a missing server binary', () => {
    expect(() => requireBinary('redis-server', INSTALL_HINTS.redis, [os.tmpdir()])).toThrow(
      `redis-server not found (looked in ${os.tmpdir()}). Install it with: apt-get install -y redis-server`,
    );
  });

  it('returns the path of a binary that is there', () => {
    const sh = findOnPath('sh');
    expect(sh).toMatch(/\/sh$/);
    expect(requireBinary('sh', 'apt-get install -y dash')).toBe(sh);
  });
});
