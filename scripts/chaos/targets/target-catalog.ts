import type { ChaosTarget } from './chaos-target.ts';
import { memoryTarget } from './memory-target.ts';

/** Every kind, format and mode the harness can drive, by name. */
export const TARGET_NAMES = ['generic/memory'] as const;
export type TargetName = (typeof TARGET_NAMES)[number];

/** Open the named targets, starting the real servers they need. */
export async function openTargets(names: readonly string[]): Promise<ChaosTarget[]> {
  const targets: ChaosTarget[] = [];
  for (const name of names) {
    if (name === 'generic/memory') targets.push(memoryTarget());
  }
  return targets;
}
