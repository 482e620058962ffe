/**
 * The child side of a pooled rotation function: a warm "Lambda sandbox". It imports the
 * module named in argv[2] once (init), then serves invocations over IPC one at a time.
 * Started by function-pool.ts with tsx's loader, so .ts modules load too.
 */
import { pathToFileURL } from 'node:url';
import {
  buildContext,
  callHandler,
  errorInfo,
  type ChildMessage,
  type ParentMessage,
} from './lambda-types.ts';

const send = (message: ChildMessage): void => {
  process.send?.(message);
};

async function main(): Promise<void> {
  const modulePath = process.argv[2];
  if (!modulePath) throw new Error('function-runner needs the module path as its first argument');
  let handler: Parameters<typeof callHandler>[0];
  try {
    const loaded = (await import(pathToFileURL(modulePath).href)) as {
      handler?: unknown;
      default?: { handler?: unknown };
    };
    const candidate = loaded.handler ?? loaded.default?.handler;
    if (typeof candidate !== 'function')
      throw Object.assign(new Error(`${modulePath} does not export a handler function`), {
        name: 'Runtime.HandlerNotFound',
      });
    handler = candidate as typeof handler;
  } catch (error) {
    send({ type: 'init-error', error: errorInfo(error) });
    process.exitCode = 1;
    process.disconnect?.();
    return;
  }
  process.on('message', (message: ParentMessage) => {
    if (message.type !== 'invoke') return;
    callHandler(handler, message.event, buildContext(message.context)).then(
      (value) => {
        let marshalled: unknown;
        try {
          // Lambda returns the result as JSON; anything JSON cannot carry is a marshal error.
          marshalled = value === undefined ? null : (JSON.parse(JSON.stringify(value)) as unknown);
        } catch {
          send({
            type: 'result',
            id: message.id,
            ok: false,
            error: { name: 'Runtime.MarshalError', message: 'Unable to marshal the function result to JSON' },
          });
          return;
        }
        send({ type: 'result', id: message.id, ok: true, value: marshalled });
      },
      (error: unknown) => send({ type: 'result', id: message.id, ok: false, error: errorInfo(error) }),
    );
  });
  // Like Lambda's runtime, an unhandled rejection in the function fails the sandbox.
  process.on('unhandledRejection', (reason) => {
    console.error('Unhandled rejection in rotation function', errorInfo(reason).name);
    process.exit(1);
  });
  send({ type: 'ready' });
}

void main();
