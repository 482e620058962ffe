import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { describeMissing, missingServerBinaries } from '../../../scripts/start/preflight.ts';

const base = mkdtempSync(join(tmpdir(), 'preflight-'));
afterAll(() => rmSync(base, { recursive: true, force: true }));

function fakeBinary(dir: string, name: string): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, name), '#!/bin/sh\nexit 0\n');
  chmodSync(join(dir, name), 0o755);
}

describe('missingServerBinaries', () => {
  it('names both servers and the exact install commands when nothing is found', () => {
    const missing = missingServerBinaries({
      path: join(base, 'empty'),
      systemDirs: [],
      postgresRoots: [join(base, 'no-pg')],
      usePgConfig: false,
    });
    expect(missing.map((item) => item.what)).toEqual([
      'PostgreSQL server binaries (initdb, pg_ctl)',
      'Redis server (redis-server, 7.x)',
    ]);
    const text = describeMissing(missing);
    expect(text).toContain('sudo apt-get install -y postgresql-15');
    expect(text).toContain('sudo apt-get install -y redis-server');
    expect(text).toContain('Nothing was started');
  });

  it('finds PostgreSQL under <root>/<version>/bin and redis-server on PATH', () => {
    fakeBinary(join(base, 'pg', '15', 'bin'), 'initdb');
    fakeBinary(join(base, 'pg', '15', 'bin'), 'pg_ctl');
    fakeBinary(join(base, 'bin'), 'redis-server');
    expect(
      missingServerBinaries({
        path: join(base, 'bin'),
        systemDirs: [],
        postgresRoots: [join(base, 'pg')],
        usePgConfig: false,
      }),
    ).toEqual([]);
  });

  it('does not accept a PostgreSQL folder that lacks pg_ctl', () => {
    fakeBinary(join(base, 'pg-half', '16', 'bin'), 'initdb');
    const missing = missingServerBinaries({
      path: join(base, 'bin'),
      systemDirs: [],
      postgresRoots: [join(base, 'pg-half')],
      usePgConfig: false,
    });
    expect(missing.map((item) => item.what)).toEqual(['PostgreSQL server binaries (initdb, pg_ctl)']);
  });
});
