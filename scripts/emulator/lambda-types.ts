/** The Lambda context a rotation function receives (the subset rotation code uses). */
export interface LambdaContext {
  readonly awsRequestId: string;
  readonly functionName: string;
  readonly functionVersion: string;
  readonly invokedFunctionArn: string;
  readonly memoryLimitInMB: string;
  readonly logGroupName: string;
  readonly logStreamName: string;
  callbackWaitsForEmptyEventLoop: boolean;
  getRemainingTimeInMillis(): number;
}

/** What the emulator records about a failed invocation: never a stack, never a value. */
export interface InvocationErrorInfo {
  readonly name: string;
  readonly code?: string;
  readonly message: string;
}

/** The context as it crosses the IPC channel. */
export interface ContextData {
  readonly awsRequestId: string;
  readonly functionName: string;
  readonly invokedFunctionArn: string;
  readonly deadlineMs: number;
}

export type ParentMessage = {
  readonly type: 'invoke';
  readonly id: number;
  readonly event: unknown;
  readonly context: ContextData;
};

export type ChildMessage =
  | { readonly type: 'ready' }
  | { readonly type: 'init-error'; readonly error: InvocationErrorInfo }
  | { readonly type: 'result'; readonly id: number; readonly ok: true; readonly value: unknown }
  | { readonly type: 'result'; readonly id: number; readonly ok: false; readonly error: InvocationErrorInfo };

export function buildContext(data: ContextData): LambdaContext {
  return {
    awsRequestId: data.awsRequestId,
    functionName: data.functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: data.invokedFunctionArn,
    memoryLimitInMB: '128',
    logGroupName: `/aws/lambda/${data.functionName}`,
    logStreamName: 'emulator',
    callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: () => Math.max(0, data.deadlineMs - Date.now()),
  };
}

/** Reduce anything thrown to {name, code, message}, as Lambda reports errorType/errorMessage. */
export function errorInfo(error: unknown): InvocationErrorInfo {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return { name: error.name, message: error.message, ...(typeof code === 'string' ? { code } : {}) };
  }
  return {
    name: 'Error',
    message: typeof error === 'string' ? error : `Non-error value thrown (${typeof error})`,
  };
}

type Handler = (
  event: unknown,
  context: LambdaContext,
  callback?: (error: unknown, value?: unknown) => void,
) => unknown;

/** Call a handler the ways Lambda's Node runtime allows: async, or callback style (three parameters). */
export function callHandler(handler: Handler, event: unknown, context: LambdaContext): Promise<unknown> {
  if (handler.length >= 3) {
    return new Promise((resolve, reject) => {
      const result = handler(event, context, (error, value) => (error ? reject(error) : resolve(value)));
      if (result && typeof (result as Promise<unknown>).then === 'function')
        (result as Promise<unknown>).then(resolve, reject);
    });
  }
  return Promise.resolve().then(() => handler(event, context));
}
