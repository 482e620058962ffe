import { describe, expect, it } from 'vitest';
import { ErrorCode, isRotationError } from '../../../shared/errors.ts';
import { FaultController, FaultKind } from '../../../scripts/chaos/fault-controller.ts';
import { InjectedFault, injectFaults, secretsPortError } from '../../../scripts/chaos/fault-injector.ts';
import { runStep } from '../../../scripts/chaos/chaos-lambda.ts';
import { mulberry32 } from '../../../scripts/chaos/prng.ts';

class Store {
  readonly writes: string[] = [];
  async write(value: string): Promise<string> {
    this.writes.push(value);
    return `stored:${value}`;
  }
  label(): string {
    return 'sync';
  }
  async open(): Promise<Store> {
    return this;
  }
}

function pinned(point: string, kind: FaultKind, nth = 1): FaultController {
  return new FaultController({ probability: 0, pinned: [{ point, nth, kind }], hangMs: 5 });
}

describe('injectFaults', () => {
  it('passes calls through and counts them when no fault is drawn', async () => {
    const controller = new FaultController({ probability: 0 });
    const store = new Store();
    const wrapped = injectFaults('store', store, controller);
    expect(await wrapped.write('a')).toBe('stored:a');
    expect(await wrapped.write('b')).toBe('stored:b');
    expect(store.writes).toEqual(['a', 'b']);
    expect(controller.calls.get('store.write')).toBe(2);
  });

  it('fails before the call without touching the target', async () => {
    const store = new Store();
    const wrapped = injectFaults('store', store, pinned('store.write', FaultKind.failBefore));
    await expect(wrapped.write('a')).rejects.toBeInstanceOf(InjectedFault);
    expect(store.writes).toEqual([]);
  });

  it('fails after the call took effect', async () => {
    const store = new Store();
    const wrapped = injectFaults('store', store, pinned('store.write', FaultKind.failAfter));
    await expect(wrapped.write('a')).rejects.toMatchObject({
      code: 'ECONNRESET',
      fault: FaultKind.failAfter,
    });
    expect(store.writes).toEqual(['a']);
  });

  it('throttles with an AWS-style ThrottlingException and no effect', async () => {
    const store = new Store();
    const wrapped = injectFaults('store', store, pinned('store.write', FaultKind.throttle));
    await expect(wrapped.write('a')).rejects.toMatchObject({
      name: 'ThrottlingException',
      $retryable: { throttling: true },
    });
    expect(store.writes).toEqual([]);
  });

  it('hangs past the timeout and then rejects without effect', async () => {
    const store = new Store();
    const wrapped = injectFaults('store', store, pinned('store.write', FaultKind.hangReject));
    const started = Date.now();
    await expect(wrapped.write('a')).rejects.toMatchObject({ name: 'TimeoutError' });
    expect(Date.now() - started).toBeGreaterThanOrEqual(4);
    expect(store.writes).toEqual([]);
  });

  it('hangs forever until the step timeout ends the invocation, and freezes the timed-out invocation', async () => {
    const store = new Store();
    const wrapped = injectFaults('store', store, pinned('store.write', FaultKind.hangForever));
    const fn = {
      invoke: async () => {
        await wrapped.write('first').catch(() => undefined);
        await wrapped.write('after-timeout');
        return 'done' as const;
      },
      handler: async () => undefined,
    };
    const run = await runStep(fn as never, { Step: 'setSecret' }, 20);
    expect(run).toMatchObject({ ok: false, timedOut: true });
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(store.writes).toEqual([]);
  });

  it('pins a fault to the nth call of a point only', async () => {
    const store = new Store();
    const wrapped = injectFaults('store', store, pinned('store.write', FaultKind.failBefore, 2));
    await wrapped.write('a');
    await expect(wrapped.write('b')).rejects.toThrow(/store\.write/);
    await wrapped.write('c');
    expect(store.writes).toEqual(['a', 'c']);
  });

  it('faults the very first call of a method declared async (an async arrow function included)', async () => {
    const writes: string[] = [];
    const port = { write: async (value: string) => void writes.push(value) };
    const wrapped = injectFaults('arrow', port, pinned('arrow.write', FaultKind.failBefore, 1));
    await expect(wrapped.write('a')).rejects.toBeInstanceOf(InjectedFault);
    expect(writes).toEqual([]);
  });

  it('does not leave connections open that only an injected fault orphaned', async () => {
    const open = new Set<number>();
    let next = 0;
    const connector = {
      async connect() {
        const id = (next += 1);
        open.add(id);
        return { query: async () => id, close: async () => void open.delete(id) };
      },
    };
    const controller = new FaultController({
      probability: 0,
      pinned: [
        { point: 'db.connect', nth: 1, kind: FaultKind.failAfter },
        { point: 'db.session.close', nth: 1, kind: FaultKind.failBefore },
      ],
    });
    const wrapped = injectFaults('db', connector, controller, { children: { connect: 'db.session' } });
    const fn = {
      invoke: async () => {
        await expect(wrapped.connect()).rejects.toBeInstanceOf(InjectedFault);
        const session = await wrapped.connect();
        await session.query();
        await expect(session.close()).rejects.toBeInstanceOf(InjectedFault);
        return 'done' as const;
      },
      handler: async () => undefined,
    };
    expect(await runStep(fn as never, { Step: 'setSecret' }, 1000)).toEqual({ ok: true });
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect([...open]).toEqual([]);
  });

  it('injects no fault, pinned or random, while faults are turned off', async () => {
    const store = new Store();
    const controller = new FaultController(
      { probability: 1, pinned: [{ point: 'store.write', nth: 1, kind: FaultKind.failBefore }] },
      mulberry32(3),
    );
    controller.enabled = false;
    const wrapped = injectFaults('store', store, controller);
    await wrapped.write('a');
    await wrapped.write('b');
    expect(store.writes).toEqual(['a', 'b']);
  });

  it('leaves synchronous methods alone', () => {
    const controller = new FaultController({ probability: 1 }, mulberry32(1));
    const wrapped = injectFaults('store', new Store(), controller);
    expect(wrapped.label()).toBe('sync');
    expect(wrapped.label()).toBe('sync');
    expect(controller.calls.has('store.label')).toBe(false);
  });

  it('wraps ports returned by a method as their own injection points', async () => {
    const store = new Store();
    const controller = pinned('connection.write', FaultKind.failBefore);
    const wrapped = injectFaults('pool', store, controller, { children: { open: 'connection' } });
    const connection = await wrapped.open();
    await expect(connection.write('x')).rejects.toBeInstanceOf(InjectedFault);
    expect(controller.calls.get('pool.open')).toBe(1);
    expect(controller.calls.get('connection.write')).toBe(1);
  });

  it('draws the same faults from the same seed, and different ones from another seed', async () => {
    const draw = async (seed: number): Promise<string[]> => {
      const kinds = [FaultKind.failBefore, FaultKind.failAfter, FaultKind.throttle];
      const controller = new FaultController({ probability: 0.5, kinds }, mulberry32(seed));
      const wrapped = injectFaults('store', new Store(), controller, {
        errorFor: (point, kind) => new Error(`${point}:${kind}`),
      });
      const seen: string[] = [];
      for (let i = 0; i < 40; i += 1) {
        await wrapped.write(String(i)).then(
          () => seen.push('ok'),
          (error: Error) => seen.push(error.message),
        );
      }
      return seen;
    };
    const first = await draw(7);
    expect(first.some((entry) => entry !== 'ok')).toBe(true);
    expect(first.some((entry) => entry === 'ok')).toBe(true);
    expect(await draw(7)).toEqual(first);
    expect(await draw(8)).not.toEqual(first);
  });

  it('maps Secrets Manager faults to the port error callers expect', () => {
    const error = secretsPortError('secrets.putSecretValue', FaultKind.throttle);
    expect(isRotationError(error, ErrorCode.ERR_SECRETS_MANAGER)).toBe(true);
    expect((error as Error).message).toContain('putSecretValue');
    expect(((error as Error).cause as Error).name).toBe('ThrottlingException');
  });
});
