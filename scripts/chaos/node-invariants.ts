import {
  Invariant,
  Phase,
  type NodeJudgeInput,
  type NodeLabel,
  type NodeVerdict,
  type Violation,
} from './observation.ts';

/**
 * The invariants of a multi-node target (a cluster, a primary with replicas) whose nodes an
 * actor stops and starts. Judged at every observation, on every node that is running:
 *
 * - AWSCURRENT logs in on every running node (and, after a normal rotation, the replaced
 *   credential too: the grace). The one documented window: a node that was down during the
 *   last successful rotation missed it and keeps its old pair until the next rotation heals it
 *   (functions/redis/README.md, "Nodes"). That is allowed only when the rotation said so: a
 *   WARN or ERROR line naming the node (`host:port`).
 * - nodes: a node that missed a rotation with no line naming it, or that the next successful
 *   rotation did not heal, is a violation of its own (that is the issue-15 failure: success
 *   reported while AWSCURRENT is refused somewhere).
 * - emergency: once an emergency rotation reported success, the credential it replaced works
 *   nowhere, from then on: a node that was down and comes back holding it is caught then.
 */

/** Per running node (`host:port`): does the credential log in there? */
export type NodeAnswers = ReadonlyMap<string, boolean>;

export class NodeLedger {
  #inRotation = false;
  #rotations = 0;
  /** Nodes stopped at some moment since the rotation in progress started. */
  #downThisRotation = new Set<string>();
  /** Missed the last successful rotation, and a line named them: excused until the next one. */
  #excused = new Set<string>();
  /** Missed the last successful rotation and nothing named them. */
  #unreported = new Set<string>();
  /** Excused after the success before the last: the last one had to heal them. */
  #mustBeHealed = new Set<string>();
  #logStart = 0;
  readonly #revoked: string[] = [];
  readonly #reportedViolations = new Set<string>();

  /** The actor stopped a node. */
  noteDown(name: string): void {
    if (this.#inRotation) this.#downThisRotation.add(name);
  }

  /** A node that missed the last rotation (the actor brings it back before the next one). */
  missedLastRotation(name: string): boolean {
    return this.#excused.has(name) || this.#unreported.has(name);
  }

  /** Credentials an emergency rotation revoked: they must fail on every node from then on. */
  get revoked(): readonly string[] {
    return this.#revoked;
  }

  /**
   * Follow the schedule's phase: the first `during` observation starts a rotation, the first
   * completed one after it is a reported success. `down`: the nodes stopped right now.
   */
  advance(input: NodeJudgeInput, down: ReadonlySet<string>): void {
    if (input.phase === Phase.during) {
      if (!this.#inRotation) {
        this.#inRotation = true;
        this.#downThisRotation = new Set(down);
      } else for (const name of down) this.#downThisRotation.add(name);
      return;
    }
    if (!this.#inRotation) return;
    this.#inRotation = false;
    this.#rotations += 1;
    for (const name of down) this.#downThisRotation.add(name);
    const lines = input.logLines.slice(this.#logStart);
    this.#logStart = input.logLines.length;
    this.#mustBeHealed = new Set([...this.#excused, ...this.#unreported]);
    this.#excused = new Set();
    this.#unreported = new Set();
    for (const name of this.#downThisRotation) {
      const named = lines.some((line) => /"level":"(WARN|ERROR)"/.test(line) && line.includes(name));
      (named ? this.#excused : this.#unreported).add(name);
    }
    this.#downThisRotation = new Set();
    if (input.phase === Phase.completedEmergency && input.values.replaced !== undefined)
      this.#revoked.push(input.values.replaced);
  }

  judge(
    input: NodeJudgeInput,
    answers: Readonly<Partial<Record<NodeLabel, NodeAnswers>>>,
    revokedAnswers: readonly NodeAnswers[],
  ): NodeVerdict {
    const violations: Violation[] = [];
    const once = (violation: Violation, key: string): void => {
      if (this.#reportedViolations.has(key)) return;
      this.#reportedViolations.add(key);
      violations.push(violation);
    };
    const excused = (name: string): boolean =>
      this.#excused.has(name) || (this.#inRotation && this.#downThisRotation.has(name));
    const works: Partial<Record<NodeLabel, boolean>> = {};
    const anywhere: Partial<Record<NodeLabel, boolean>> = {};
    const refused: Partial<Record<NodeLabel, string[]>> = {};
    for (const [label, perNode] of Object.entries(answers) as [NodeLabel, NodeAnswers][]) {
      const against: string[] = [];
      for (const [name, ok] of perNode) {
        if (ok || excused(name)) continue;
        if (label === 'current' && this.#unreported.has(name)) {
          once(
            {
              invariant: Invariant.nodes,
              at: input.at,
              detail: `node ${name} was down during rotation ${this.#rotations}, refuses AWSCURRENT, and no warning named it`,
            },
            `unreported ${this.#rotations} ${name}`,
          );
          continue;
        }
        if (label === 'current' && this.#mustBeHealed.has(name)) {
          once(
            {
              invariant: Invariant.nodes,
              at: input.at,
              detail: `node ${name} missed rotation ${this.#rotations - 1} and rotation ${this.#rotations} did not heal it: it refuses AWSCURRENT`,
            },
            `unhealed ${this.#rotations} ${name}`,
          );
          continue;
        }
        against.push(name);
      }
      works[label] = against.length === 0 && perNode.size > 0;
      anywhere[label] = [...perNode.values()].some(Boolean);
      if (against.length > 0) refused[label] = against;
    }
    for (const [index, perNode] of revokedAnswers.entries()) {
      for (const [name, ok] of perNode) {
        if (!ok) continue;
        once(
          {
            invariant: Invariant.emergency,
            at: input.at,
            detail: `a credential an emergency rotation revoked (the ${ordinal(index + 1)}) logs in on node ${name}`,
          },
          `revoked ${index} ${name}`,
        );
      }
    }
    return { works, anywhere, refused, violations };
  }
}

function ordinal(n: number): string {
  return n === 1 ? '1st' : n === 2 ? '2nd' : n === 3 ? '3rd' : `${n}th`;
}
