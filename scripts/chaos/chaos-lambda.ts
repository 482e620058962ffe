import { AsyncLocalStorage } from 'node:async_hooks';
import { STEPS, type Step } from '../../shared/constants.ts';
import type { BuiltFunction } from '../../shared/rotation-function.ts';
import type { Rng } from './prng.ts';

/**
 * The Lambda runtime, and the service around it, at their worst. It runs one step with a
 * timeout (a step that does not settle in time is frozen, as Lambda freezes a timed-out
 * sandbox: its later port calls never happen), and around each step it may: invoke the
 * same step again (a duplicate), retry a failed step at once, run a late step of an older
 * token first, or play dead for the rest of a rotation (abandoned halfway).
 */

interface InvocationState {
  dead: boolean;
  /** Closers of connections the invocation opened: a timed-out sandbox is torn down, its sockets close. */
  readonly closers: (() => unknown)[];
  /** Connections an injected fault orphaned (a failed close): gone when the invocation ends. */
  readonly orphans: (() => unknown)[];
}

const invocation = new AsyncLocalStorage<InvocationState>();

/**
 * Remember how to close a connection opened by the current invocation. Lambda resets the
 * execution environment after a timeout, so the process and its sockets go away (and
 * the database rolls back whatever transaction the connection held).
 */
export function closeOnTimeout(closer: () => unknown): void {
  invocation.getStore()?.closers.push(closer);
}

/**
 * A connection whose close an injected fault prevented. A real failed close means a broken
 * socket the server drops; the harness closes it when the invocation ends so injected
 * faults do not pile up idle server connections that no real failure would leave.
 */
export function closeAtInvocationEnd(closer: () => unknown): void {
  const store = invocation.getStore();
  if (store) store.orphans.push(closer);
  else
    void Promise.resolve()
      .then(closer)
      .catch(() => undefined);
}

function runClosers(closers: readonly (() => unknown)[]): void {
  for (const close of closers) {
    try {
      Promise.resolve(close()).catch(() => undefined);
    } catch {
      // already closed
    }
  }
}

/** True when the current async context belongs to a timed-out (frozen) invocation. */
export function invocationIsFrozen(): boolean {
  return invocation.getStore()?.dead === true;
}

export interface StepRun {
  readonly ok: boolean;
  readonly error?: unknown;
  readonly timedOut?: boolean;
}

export class StepTimeout extends Error {
  constructor(step: string, timeoutMs: number) {
    super(`Task timed out after ${timeoutMs} ms in ${step}`);
    this.name = 'Sandbox.Timedout';
  }
}

/** Run one invocation under the step timeout; never throws. */
export async function runStep(
  fn: BuiltFunction,
  event: Readonly<Record<string, unknown>>,
  timeoutMs: number,
): Promise<StepRun> {
  const state: InvocationState = { dead: false, closers: [], orphans: [] };
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<StepRun>((resolve) => {
    timer = setTimeout(() => {
      state.dead = true;
      runClosers(state.closers);
      resolve({ ok: false, timedOut: true, error: new StepTimeout(String(event['Step']), timeoutMs) });
    }, timeoutMs);
  });
  const run = invocation.run(state, () =>
    fn.invoke(event).then(
      (): StepRun => ({ ok: true }),
      (error: unknown): StepRun => ({ ok: false, error }),
    ),
  );
  try {
    return await Promise.race([run, timeout]);
  } finally {
    clearTimeout(timer);
    runClosers(state.orphans);
  }
}

export interface ChaosLambdaOptions {
  readonly fn: BuiltFunction;
  readonly rng: Rng;
  readonly trace: string[];
  readonly stepTimeoutMs: number;
  /** Timeout while calm (faults off): generous, so a loaded machine is not mistaken for a hang. */
  readonly calmTimeoutMs: number;
  /** Tokens of earlier rotations of this secret, for late invocations. */
  readonly oldTokens: () => readonly string[];
  /** Check the invariants; `label` names the observation point. */
  readonly observe: (label: string) => Promise<void>;
  /** Every error an invocation ended with (scanned for leaks and checked for a stable code). */
  readonly onError: (error: unknown, label: string) => void;
  /** Chance of each misbehaviour. */
  readonly duplicateChance: number;
  readonly stepRetryChance: number;
  readonly lateChance: number;
}

export interface ChaosLambda {
  (event: unknown): Promise<void>;
  /** Play dead for every step of `token` after `step` (an abandoned rotation). */
  abandonAfter(token: string, step: Step): void;
  /** Turn duplicates, retries and late invocations off (the recovery phase). */
  calm: boolean;
}

export function createChaosLambda(options: ChaosLambdaOptions): ChaosLambda {
  const abandoned = new Map<string, number>();
  const short = (token: string): string => token.slice(0, 8);
  const invokeAndObserve = async (
    event: Readonly<Record<string, unknown>>,
    label: string,
  ): Promise<StepRun> => {
    const result = await runStep(
      options.fn,
      event,
      lambda.calm ? options.calmTimeoutMs : options.stepTimeoutMs,
    );
    options.trace.push(
      `  ${label}: ${event['Step']} ${short(String(event['ClientRequestToken']))} -> ${result.ok ? 'ok' : describe(result.error)}`,
    );
    if (!result.ok) options.onError(result.error, label);
    await options.observe(`${label} ${event['Step']} ${short(String(event['ClientRequestToken']))}`);
    return result;
  };

  const lambda = (async (raw: unknown): Promise<void> => {
    const event = raw as Readonly<Record<string, unknown>>;
    const step = event['Step'] as Step;
    const token = String(event['ClientRequestToken']);
    const { rng } = options;
    const deadAfter = abandoned.get(token);
    if (deadAfter !== undefined && STEPS.indexOf(step) > deadAfter) {
      options.trace.push(`  abandoned: ${step} ${short(token)} not run`);
      throw new Error(`Rotation function unavailable (abandoned rotation) at ${step}`);
    }
    const wild = !lambda.calm;
    if (wild && rng.chance(options.lateChance)) {
      const old = options.oldTokens();
      if (old.length > 0) {
        const lateToken = rng.pick(old);
        await invokeAndObserve({ ...event, ClientRequestToken: lateToken, Step: rng.pick(STEPS) }, 'late');
      }
    }
    let result = await invokeAndObserve(event, 'invoke');
    if (!result.ok && wild && rng.chance(options.stepRetryChance))
      result = await invokeAndObserve(event, 'step-retry');
    if (result.ok && wild && rng.chance(options.duplicateChance)) {
      const duplicate = await invokeAndObserve(event, 'duplicate');
      if (!duplicate.ok) result = duplicate;
    }
    if (!result.ok) throw result.error instanceof Error ? result.error : new Error('Step failed');
  }) as ChaosLambda;
  lambda.calm = false;
  lambda.abandonAfter = (token, step) => {
    abandoned.set(token, STEPS.indexOf(step));
  };
  return lambda;
}

export function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const code = (error as { code?: unknown }).code;
  return `${error.name}${typeof code === 'string' ? ` ${code}` : ''}`;
}
