import { NodeLedger, type NodeAnswers } from '../node-invariants.ts';
import { Phase, type NodeJudgeInput, type NodeLabel, type NodeVerdict } from '../observation.ts';
import { mulberry32, type Rng } from '../prng.ts';
import type { TopologyActor } from './chaos-target.ts';

/** One server of a multi-node target, by the name the function logs it under (`host:port`). */
export interface ChaosNode {
  readonly name: string;
  /** For the trace: what the node was when the deployment formed ("master", "replica"). */
  readonly formedAs: string;
  stop(): Promise<void>;
  start(): Promise<void>;
}

export interface NodeChaosOptions {
  readonly nodes: readonly ChaosNode[];
  /** Does the credential in `secretString` log in on this (running) node? */
  probe(node: ChaosNode, secretString: string): Promise<boolean>;
  /** Chance that a node goes down before a rotation starts. Default 0.35. */
  readonly stopBeforeRotation?: number;
  /** Chance that a node goes down between two steps. Default 0.15. */
  readonly stopBetweenSteps?: number;
  /** Chance that a stopped node starts again at a later point. Default 0.15 (it often stays down for the rest of the rotation). */
  readonly startAgain?: number;
}

/**
 * The node-down actor: at the moments the runner gives it (before a rotation, between steps)
 * it stops a running node, master or replica, or starts the stopped one again, drawn from the
 * schedule's seed; when faults stop it starts every node. At most one node is down at a time,
 * and a node that missed the last rotation is started before the next one: without an admin
 * credential a node that missed two rotations cannot be healed (documented in
 * functions/redis/README.md), so the harness keeps to what the function promises.
 */
export class NodeChaos implements TopologyActor {
  readonly #options: NodeChaosOptions;
  #rng: Rng = mulberry32(0);
  #ledger = new NodeLedger();
  readonly #down = new Set<ChaosNode>();
  /** Node stops and starts over the whole run (the report's fault count does not see them). */
  stops = 0;

  constructor(options: NodeChaosOptions) {
    this.#options = options;
  }

  /** A new schedule: every node running, a fresh ledger, the schedule's own draws. */
  async reset(rng: Rng): Promise<void> {
    await this.restore([]);
    this.#rng = rng;
    this.#ledger = new NodeLedger();
  }

  async beforeRotation(trace: string[]): Promise<void> {
    for (const node of [...this.#down]) {
      if (!this.#ledger.missedLastRotation(node.name)) continue;
      await this.#start(node, trace, 'it missed the last rotation; it is back before this one');
    }
    await this.#maybe(trace, this.#options.stopBeforeRotation ?? 0.35, 'before the rotation');
  }

  async betweenSteps(trace: string[]): Promise<void> {
    await this.#maybe(trace, this.#options.stopBetweenSteps ?? 0.15, 'between steps');
  }

  async restore(trace: string[]): Promise<void> {
    for (const node of [...this.#down]) await this.#start(node, trace, 'faults off');
  }

  async judge(input: NodeJudgeInput): Promise<NodeVerdict> {
    this.#ledger.advance(input, new Set([...this.#down].map((node) => node.name)));
    const answers: Partial<Record<NodeLabel, NodeAnswers>> = {};
    for (const [label, value] of Object.entries(input.values) as [NodeLabel, string][])
      answers[label] = await this.answers(value);
    const revoked: NodeAnswers[] = [];
    for (const value of this.#ledger.revoked) {
      // The observation's own revocation check covers the credential just replaced.
      if (input.phase === Phase.completedEmergency && value === input.values.replaced) continue;
      revoked.push(await this.answers(value));
    }
    return this.#ledger.judge(input, answers, revoked);
  }

  /** Per running node: does the credential log in? */
  async answers(secretString: string): Promise<NodeAnswers> {
    const out = new Map<string, boolean>();
    for (const node of this.#options.nodes) {
      if (this.#down.has(node)) continue;
      out.set(node.name, await this.#options.probe(node, secretString));
    }
    return out;
  }

  async #maybe(trace: string[], stopChance: number, moment: string): Promise<void> {
    // Always draw the same number of times, so later draws do not depend on which branch ran.
    const stop = this.#rng.chance(stopChance);
    const start = this.#rng.chance(this.#options.startAgain ?? 0.15);
    const which = this.#rng.next();
    const [stopped] = this.#down;
    if (stopped !== undefined) {
      if (start) await this.#start(stopped, trace, moment);
      return;
    }
    if (!stop) return;
    const candidates = this.#options.nodes.filter((node) => !this.#ledger.missedLastRotation(node.name));
    const node = candidates[Math.floor(which * candidates.length)];
    if (node === undefined) return;
    await node.stop();
    this.#down.add(node);
    this.#ledger.noteDown(node.name);
    this.stops += 1;
    trace.push(`  nodes: stopped ${node.formedAs} ${node.name} (${moment})`);
  }

  async #start(node: ChaosNode, trace: string[], why: string): Promise<void> {
    await node.start();
    this.#down.delete(node);
    trace.push(`  nodes: started ${node.formedAs} ${node.name} again (${why})`);
  }
}
