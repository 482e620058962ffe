import { ErrorCode, RotationError } from '../../shared/errors.ts';
import { closeAtInvocationEnd, closeOnTimeout, invocationIsFrozen } from './chaos-lambda.ts';
import { FaultKind, type FaultController } from './fault-controller.ts';

/** The error an injected fault raises. `name` follows the kind (ThrottlingException, TimeoutError, ...). */
export class InjectedFault extends Error {
  readonly code: string;
  readonly point: string;
  readonly fault: FaultKind;
  readonly $retryable?: { readonly throttling: boolean };

  constructor(point: string, fault: FaultKind) {
    super(`Injected ${fault} at ${point}`);
    this.point = point;
    this.fault = fault;
    switch (fault) {
      case FaultKind.throttle:
        this.name = 'ThrottlingException';
        this.code = 'ThrottlingException';
        this.$retryable = { throttling: true };
        break;
      case FaultKind.hangReject:
        this.name = 'TimeoutError';
        this.code = 'ETIMEDOUT';
        break;
      case FaultKind.failAfter:
        this.name = 'Error';
        this.code = 'ECONNRESET';
        break;
      default:
        this.name = 'Error';
        this.code = 'ECONNREFUSED';
    }
  }
}

/** Turns a fault into the error the wrapped port would throw. Default: the InjectedFault itself. */
export type FaultErrorFactory = (point: string, fault: FaultKind) => unknown;

/** What the SDK-backed SecretsPort throws: a RotationError(ERR_SECRETS_MANAGER) with the AWS error as cause. */
export const secretsPortError: FaultErrorFactory = (point, fault) => {
  const cause = new InjectedFault(point, fault);
  const operation = point.split('.').pop() ?? point;
  return new RotationError(
    ErrorCode.ERR_SECRETS_MANAGER,
    `Secrets Manager ${operation} failed with ${cause.name}`,
    {
      cause,
      details: { operation, awsError: cause.name },
    },
  );
};

export interface InjectOptions {
  /** Map the fault to the error this port's callers expect. */
  readonly errorFor?: FaultErrorFactory;
  /** Methods whose resolved value is itself a port to wrap, e.g. `{ connect: 'pg.connection' }`. */
  readonly children?: Readonly<Record<string, string>>;
  /** Methods known to be async even before their first call (default: any method seen returning a promise). */
  readonly asyncMethods?: readonly string[];
  /** Set on child ports: closes the real connection when a fault stops its own `close` (see closeAtInvocationEnd). */
  readonly closeOrphan?: () => unknown;
}

const NEVER = (): Promise<never> => new Promise<never>(() => undefined);

/**
 * Wrap any port object so every async method is an injection point named
 * `<portName>.<method>`. Synchronous methods and plain properties pass through.
 * A method counts as async when it is declared so, is an `async function`, or was
 * seen returning a promise; a sync method is never faulted (that would break its contract).
 */
export function injectFaults<T extends object>(
  portName: string,
  port: T,
  controller: FaultController,
  options: InjectOptions = {},
): T {
  const seenAsync = new Set<string>(options.asyncMethods ?? []);
  const seenSync = new Set<string>();
  const errorFor = options.errorFor ?? ((point: string, fault: FaultKind) => new InjectedFault(point, fault));
  const rawCloser = (value: unknown): (() => unknown) | undefined => {
    const close =
      value !== null && typeof value === 'object' ? (value as { close?: unknown }).close : undefined;
    return typeof close === 'function' ? () => (close as () => unknown).call(value) : undefined;
  };
  const wrapResult = (method: string, value: unknown): unknown => {
    const child = options.children?.[method];
    if (child !== undefined && value !== null && typeof value === 'object') {
      const closer = rawCloser(value);
      if (closer) closeOnTimeout(closer);
      return injectFaults(child, value, controller, {
        errorFor,
        ...(options.children ? { children: options.children } : {}),
        ...(closer ? { closeOrphan: closer } : {}),
      });
    }
    return value;
  };
  return new Proxy(port, {
    get(target, property, receiver) {
      const value: unknown = Reflect.get(target, property, receiver);
      if (typeof value !== 'function' || typeof property !== 'string' || property === 'constructor')
        return value;
      const method = value as (...args: unknown[]) => unknown;
      const point = `${portName}.${property}`;
      return function injected(this: unknown, ...args: unknown[]): unknown {
        // A timed-out invocation is frozen, as Lambda freezes its sandbox: no further calls land.
        if (invocationIsFrozen()) return NEVER();
        const isAsync = seenAsync.has(property) || method.constructor?.name === 'AsyncFunction';
        if (!isAsync && seenSync.has(property)) return method.apply(target, args);
        if (!isAsync) {
          // First call of an undeclared method: call through and learn whether it is async.
          controller.calls.set(point, (controller.calls.get(point) ?? 0) + 1);
          const result = method.apply(target, args);
          if (result instanceof Promise) {
            seenAsync.add(property);
            return result.then((resolved) => wrapResult(property, resolved));
          }
          seenSync.add(property);
          controller.calls.delete(point);
          return result;
        }
        const fault = controller.decide(point);
        if (
          fault !== undefined &&
          fault !== FaultKind.failAfter &&
          property === 'close' &&
          options.closeOrphan
        )
          closeAtInvocationEnd(options.closeOrphan);
        const call = async (): Promise<unknown> => wrapResult(property, await method.apply(target, args));
        switch (fault) {
          case undefined:
            return call();
          case FaultKind.failBefore:
          case FaultKind.throttle:
            return Promise.reject(errorFor(point, fault));
          case FaultKind.failAfter:
            // The call landed but its answer is lost: a connection it opened is as good as broken.
            return Promise.resolve(method.apply(target, args)).then(
              (raw) => {
                if (options.children?.[property] !== undefined)
                  void Promise.resolve(rawCloser(raw)?.()).catch(() => undefined);
                return Promise.reject(errorFor(point, fault));
              },
              () => Promise.reject(errorFor(point, fault)),
            );
          case FaultKind.hangReject:
            return new Promise((_, reject) =>
              setTimeout(() => reject(errorFor(point, fault)), controller.hangMs),
            );
          case FaultKind.hangForever:
            return NEVER();
        }
      };
    },
  });
}
