import { CurrentCredential } from '../../../shared/rotation-progress.ts';
import type { Candidate, RepairInspection } from './repair-inspect.ts';

/**
 * What `repair` may do, decided from what it found and nothing else (no AWS calls), in
 * the order the checks must run: an unfinished emergency first; then refuse whenever it
 * cannot tell which credential logs in; then AWSCURRENT works (clearing AWSPENDING is
 * safe); then only another credential works (finish or roll back, never a clear).
 */
export type RepairCase =
  | { readonly kind: 'unfinished-emergency' }
  | { readonly kind: 'cannot-probe'; readonly errorCode: string }
  | { readonly kind: 'unsafe-unchecked'; readonly recorded: string }
  | { readonly kind: 'current-works'; readonly checked: 'logs-in' | 'no-target' | 'unchecked' }
  | { readonly kind: 'no-working-credential' }
  | { readonly kind: 'only-candidate-works'; readonly candidate: Candidate };

export function decideRepair(found: RepairInspection): RepairCase {
  if (found.emergency.state === 'unfinished') return { kind: 'unfinished-emergency' };
  const current = found.tools === undefined ? 'unchecked' : found.current?.verdict;
  const candidate = found.candidate;
  if (current === 'unknown' || candidate?.probe.verdict === 'unknown')
    return {
      kind: 'cannot-probe',
      errorCode: found.current?.errorCode ?? candidate?.probe.errorCode ?? 'unknown',
    };
  const recorded = found.progress?.current;
  // No probe for this kind here, but the function itself recorded that AWSCURRENT was (or
  // may have been) replaced on the target: clearing AWSPENDING could drop the only label on
  // the only working credential.
  if (
    current === 'unchecked' &&
    found.stale &&
    recorded !== undefined &&
    recorded !== CurrentCredential.works
  )
    return { kind: 'unsafe-unchecked', recorded };
  if (current === 'logs-in' || current === 'no-target' || current === 'unchecked')
    return { kind: 'current-works', checked: current };
  if (found.tools === undefined || candidate === undefined || candidate.probe.verdict !== 'logs-in')
    return { kind: 'no-working-credential' };
  return { kind: 'only-candidate-works', candidate };
}
