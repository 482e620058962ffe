import { chmod, mkdir, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { assertReachable, scramVerifier } from '../../../scripts/testbed/postgres-template.ts';

describe('assertReachable', () => {
  const stranger = { uid: 54_321, gid: 54_321 };
  let parent: string;

  beforeEach(async () => {
    parent = await mkdtemp(path.join(os.tmpdir(), 'sm-testbed-reach-'));
    await mkdir(path.join(parent, 'data'));
  });
  afterEach(async () => {
    await rm(parent, { recursive: true, force: true });
  });

  it('names the folder the server user cannot pass through', async () => {
    await chmod(parent, 0o700);
    expect(() => assertReachable(path.join(parent, 'data'), stranger)).toThrow(
      `${parent} is not traversable (mode 700)`,
    );
  });

  it('accepts a path every folder of which the server user can pass through', async () => {
    await chmod(parent, 0o755);
    expect(() => assertReachable(path.join(parent, 'data'), stranger)).not.toThrow();
  });
});

describe('scramVerifier', () => {
  it("has PostgreSQL's SCRAM-SHA-256 shape with a fresh salt each time", () => {
    const first = scramVerifier('same password');
    const second = scramVerifier('same password');
    expect(first).toMatch(/^SCRAM-SHA-256\$4096:[A-Za-z0-9+/]{22}==\$[A-Za-z0-9+/]{43}=:[A-Za-z0-9+/]{43}=$/);
    expect(first).not.toBe(second);
    expect(first).not.toContain('same password');
  });
});
