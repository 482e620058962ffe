import { describe, expect, it } from 'vitest';
import { NodeLedger, type NodeAnswers } from '../../../scripts/chaos/node-invariants.ts';
import { Invariant, Phase, type NodeJudgeInput } from '../../../scripts/chaos/observation.ts';

const A = '127.0.0.1:7001';
const B = '127.0.0.1:7002';
const warnNaming = (node: string): string =>
  JSON.stringify({ level: 'WARN', message: 'Known Redis nodes cannot be reached', nodes: node });

/** One ledger driven through observations the way a schedule drives it. */
function ledger() {
  const l = new NodeLedger();
  const logLines: string[] = [];
  const at = (
    phase: Phase,
    down: readonly string[],
    current: Record<string, boolean>,
    extra: { replaced?: string; revoked?: readonly Record<string, boolean>[] } = {},
  ) => {
    const input: NodeJudgeInput = {
      phase,
      at: 'here',
      logLines,
      values: { current: 'cur', ...(extra.replaced ? { replaced: extra.replaced } : {}) },
    };
    l.advance(input, new Set(down));
    const answers: NodeAnswers = new Map(Object.entries(current));
    return l.judge(
      input,
      { current: answers },
      (extra.revoked ?? []).map((r) => new Map(Object.entries(r))),
    );
  };
  return { l, logLines, at };
}

describe('NodeLedger', () => {
  it('wants AWSCURRENT on every running node', () => {
    const { at } = ledger();
    const verdict = at(Phase.completed, [], { [A]: true, [B]: false });
    expect(verdict.works.current).toBe(false);
    expect(verdict.refused.current).toEqual([B]);
  });

  it('excuses a node that missed the last rotation only when a warning named it', () => {
    const named = ledger();
    named.at(Phase.during, [B], { [A]: true });
    named.logLines.push(warnNaming(B));
    named.at(Phase.completed, [B], { [A]: true });
    const back = named.at(Phase.completed, [], { [A]: true, [B]: false });
    expect(back.works.current).toBe(true);
    expect(back.violations).toEqual([]);

    const silent = ledger();
    silent.at(Phase.during, [B], { [A]: true });
    silent.at(Phase.completed, [B], { [A]: true });
    const unreported = silent.at(Phase.completed, [], { [A]: true, [B]: false });
    expect(unreported.violations.map((v) => v.invariant)).toEqual([Invariant.nodes]);
    expect(unreported.violations[0]?.detail).toContain('no warning named it');
  });

  it('wants the next successful rotation to heal the node that missed one', () => {
    const { logLines, at } = ledger();
    at(Phase.during, [B], { [A]: true });
    logLines.push(warnNaming(B));
    at(Phase.completed, [B], { [A]: true });
    // B is back for the whole next rotation, which must bring it to the current pair.
    expect(at(Phase.during, [], { [A]: true, [B]: false }).violations).toEqual([]);
    const after = at(Phase.completed, [], { [A]: true, [B]: false });
    expect(after.violations.map((v) => v.invariant)).toEqual([Invariant.nodes]);
    expect(after.violations[0]?.detail).toContain('did not heal it');
  });

  it('keeps a credential an emergency revoked refused on every node from then on, a node back from down included', () => {
    const { at } = ledger();
    at(Phase.during, [B], { [A]: true });
    at(Phase.completedEmergency, [B], { [A]: true }, { replaced: 'leaked' });
    const back = at(Phase.during, [], { [A]: true, [B]: true }, { revoked: [{ [A]: false, [B]: true }] });
    expect(back.violations.map((v) => v.invariant)).toEqual([Invariant.emergency]);
    expect(back.violations[0]?.detail).toContain(B);
  });
});
