import {
  CurrentCredential,
  EmergencyState,
  type RecordedProgress,
} from '../../../shared/rotation-progress.ts';

/**
 * What to do after a rotation failed, from what is known: the step that failed and what the
 * function recorded on the secret (RotationProgress:Current says whether AWSCURRENT still
 * logs in; Emergency whether revoking work is left). Plain repair only when nothing the
 * operator relies on was changed; finish or roll back when the target was changed.
 */

export interface FailureFacts {
  readonly name: string;
  readonly failedStep?: string;
  readonly errorCode?: string;
  readonly timedOut: boolean;
  /** The progress record read after the rotation ended; undefined when the function recorded none. */
  readonly recorded?: RecordedProgress;
}

export function failureHint(facts: FailureFacts): string {
  const { name, recorded } = facts;
  if (facts.timedOut)
    return `no outcome yet (last seen at ${facts.failedStep ?? 'the start'}); it may still finish or be retried: rotation follow ${name}, or check later with: rotation status ${name}`;
  const step = facts.failedStep ?? 'a step';
  const cause = `Fix the cause${facts.errorCode ? ` (${facts.errorCode})` : ''}`;
  if (recorded?.emergency === EmergencyState.unfinished)
    return `AWSCURRENT moved to the new version but the emergency's revoking work did not complete: the leaked credential may still work. ${cause}, then: rotation repair ${name} --finish`;
  switch (recorded?.current) {
    case CurrentCredential.replaced:
      return [
        `AWSCURRENT no longer logs in: setSecret changed the credential on the target and ${step} failed; only the pending credential logs in. Do not clear AWSPENDING.`,
        `${cause}, then finish: rotation repair ${name} --finish (tests the pending credential, then makes it AWSCURRENT)`,
        `or roll back: rotation repair ${name} --rollback (sets the target back to AWSCURRENT's credential, then clears AWSPENDING).`,
      ].join(' ');
    case CurrentCredential.changing:
      return `AWSCURRENT may no longer log in: ${step} failed while setSecret was changing the credential on the target. Check with: rotation repair ${name} (it tries each stored credential first): if only the pending one logs in, finish (--finish) or roll back (--rollback); if AWSCURRENT still does, it clears AWSPENDING.`;
    case CurrentCredential.fails:
      return `no stored credential logs in to the target (the function tried them all). rotation repair ${name} also tries the newest unlabelled versions; otherwise reset the credential on the target and store it in the secret.`;
    case CurrentCredential.works:
      return `AWSCURRENT still logs in (${step === 'createSecret' ? 'nothing was changed on the target' : 'the function recorded it unchanged'}). ${cause}, then clear the leftover AWSPENDING with: rotation repair ${name} (it checks first), and rotate again.`;
    default:
      return `the function recorded no progress (no RotationProgress:* tags: an older function, or no TagResource grant), so whether AWSCURRENT still logs in is unknown. ${cause}, then: rotation repair ${name} (it checks which credential logs in before it changes anything).`;
  }
}

/** Why `rotate` does not start: the function recorded that AWSCURRENT does not (or may not) log in. */
export function brokenCurrentReason(
  name: string,
  recorded: RecordedProgress,
  versions: { readonly current: string | undefined; readonly pending: string | undefined },
): { readonly message: string; readonly hint: string } | undefined {
  const current = recorded.current;
  const pendingVersionId = versions.pending;
  // The recorded rotation's version is AWSCURRENT: it finished (its last record was lost).
  if (recorded.token === versions.current) return undefined;
  if (current !== CurrentCredential.replaced && current !== CurrentCredential.changing) {
    if (current !== CurrentCredential.fails) return undefined;
    return {
      message: `AWSCURRENT does not log in: the function found no stored credential that does (${recorded.step} ${recorded.outcome}${recorded.errorCode ? `, ${recorded.errorCode}` : ''}); a new rotation would fail the same way`,
      hint: `rotation repair ${name} tries every stored credential (also the newest unlabelled versions) and offers --finish when one logs in; otherwise reset the credential on the target and store it in the secret`,
    };
  }
  const running = recorded.token === pendingVersionId && recorded.outcome !== 'failed';
  if (running)
    return {
      message: `a single-user rotation (version ${recorded.token}) is ${current === CurrentCredential.changing ? 'changing' : 'past setSecret and has replaced'} the credential on the target; AWSCURRENT logs in again when it finishes`,
      hint: `follow it: rotation follow ${name}`,
    };
  const where =
    pendingVersionId === recorded.token
      ? `AWSPENDING (version ${recorded.token})`
      : `version ${recorded.token}, which no longer holds AWSPENDING`;
  return {
    message: `AWSCURRENT ${current === CurrentCredential.changing ? 'may no longer log in' : 'no longer logs in'}: a single-user rotation changed the credential on the target and ${recorded.step} ${recorded.outcome === 'failed' ? `failed${recorded.errorCode ? ` (${recorded.errorCode})` : ''}` : 'did not finish'}; the working credential is ${where}. A new rotation would fail with ERR_NO_WORKING_CREDENTIAL`,
    hint: `rotation repair ${name} checks which credential logs in, then: rotation repair ${name} --finish (test it and make it AWSCURRENT) or rotation repair ${name} --rollback (set the target back to AWSCURRENT's credential)`,
  };
}
