import { describe, expect, it } from 'vitest';
import { Invariant, Phase, checkObservation, type Observation } from '../../../scripts/chaos/invariants.ts';
import { CredentialModel } from '../../../scripts/chaos/targets/chaos-target.ts';
import { hashSeed, mulberry32 } from '../../../scripts/chaos/prng.ts';

const base: Observation = {
  labels: { a: ['AWSCURRENT'], b: ['AWSPREVIOUS'] },
  current: 'cur',
  previous: 'prev',
  works: { current: true, previous: true },
};

const invariants = (observation: Observation, model: CredentialModel, phase: Phase): string[] =>
  checkObservation(observation, model, phase, 'here').map((violation) => violation.invariant);

describe('checkObservation', () => {
  it('accepts a healthy zero-downtime state after a normal rotation', () => {
    expect(invariants(base, CredentialModel.zeroDowntime, Phase.completed)).toEqual([]);
  });

  it('flags two AWSCURRENT or two AWSPENDING versions', () => {
    expect(
      invariants(
        { ...base, labels: { a: ['AWSCURRENT'], b: ['AWSCURRENT'] } },
        CredentialModel.zeroDowntime,
        Phase.during,
      ),
    ).toContain(Invariant.labels);
    expect(
      invariants(
        { ...base, labels: { a: ['AWSCURRENT', 'AWSPENDING'], b: ['AWSPENDING'] } },
        CredentialModel.zeroDowntime,
        Phase.during,
      ),
    ).toContain(Invariant.labels);
    expect(
      invariants({ ...base, labels: { b: ['AWSPREVIOUS'] } }, CredentialModel.zeroDowntime, Phase.during),
    ).toContain(Invariant.labels);
  });

  it('requires AWSCURRENT at every point in zero-downtime modes', () => {
    const broken = { ...base, pending: 'p', works: { current: false, pending: true, previous: true } };
    expect(invariants(broken, CredentialModel.zeroDowntime, Phase.during)).toEqual([
      Invariant.workingCredential,
    ]);
  });

  it('accepts AWSPENDING alone during a single-user rotation, but not once complete', () => {
    const midway = { ...base, pending: 'p', works: { current: false, pending: true, previous: false } };
    expect(invariants(midway, CredentialModel.single, Phase.during)).toEqual([]);
    expect(
      invariants(
        { ...midway, works: { current: false, pending: false, previous: false } },
        CredentialModel.single,
        Phase.during,
      ),
    ).toEqual([Invariant.workingCredential]);
    expect(invariants(midway, CredentialModel.single, Phase.completed)).toEqual([
      Invariant.workingCredential,
    ]);
  });

  it('flags a replaced credential revoked early in zero-downtime modes, or kept after an emergency rotation', () => {
    const after = { ...base, replaced: 'prev', works: { current: true, previous: true, replaced: true } };
    expect(
      invariants(
        { ...after, works: { current: true, replaced: false } },
        CredentialModel.zeroDowntime,
        Phase.completed,
      ),
    ).toEqual([Invariant.revocation]);
    expect(invariants(after, CredentialModel.zeroDowntime, Phase.completed)).toEqual([]);
    expect(invariants(after, CredentialModel.zeroDowntime, Phase.completedEmergency)).toEqual([
      Invariant.revocation,
    ]);
    expect(
      invariants(
        { ...after, works: { current: true, replaced: false } },
        CredentialModel.zeroDowntime,
        Phase.completedEmergency,
      ),
    ).toEqual([]);
    expect(
      invariants(
        { ...after, works: { current: true, replaced: false } },
        CredentialModel.zeroDowntime,
        Phase.during,
      ),
    ).toEqual([]);
  });

  it('flags an old single-user password that still works after the rotation completed', () => {
    const after = { ...base, replaced: 'prev', works: { current: true, replaced: true } };
    expect(invariants(after, CredentialModel.single, Phase.completed)).toEqual([Invariant.revocation]);
    expect(
      invariants(
        { ...after, works: { current: true, replaced: false } },
        CredentialModel.single,
        Phase.completed,
      ),
    ).toEqual([]);
  });
});

describe('mulberry32', () => {
  it('repeats its sequence for a seed and differs between seeds', () => {
    const a = mulberry32(42);
    const b = mulberry32(42);
    const c = mulberry32(hashSeed('42:1'));
    const seqA = Array.from({ length: 5 }, () => a.next());
    expect(Array.from({ length: 5 }, () => b.next())).toEqual(seqA);
    expect(Array.from({ length: 5 }, () => c.next())).not.toEqual(seqA);
    for (const value of seqA) expect(value >= 0 && value < 1).toBe(true);
  });
});
