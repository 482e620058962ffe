import { describe, expect, it } from 'vitest';
import { containerUser } from '../../../scripts/testbed/container-process.ts';

describe('containerUser', () => {
  it("runs the container as the caller's own uid:gid, so files the server writes stay the caller's", () => {
    expect(containerUser({}, { uid: 1000, gid: 1001 })).toBe('1000:1001');
  });

  it('takes the user the spec names over the caller', () => {
    expect(containerUser({ user: { uid: 999, gid: 999 } }, { uid: 1000, gid: 1000 })).toBe('999:999');
  });

  it('has no user to give where the platform has no uids', () => {
    expect(containerUser({}, null)).toBeUndefined();
  });
});
