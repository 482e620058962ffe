import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { ServiceError, ServiceErrorType } from './service-error.ts';

const JSON_11 = 'application/x-amz-json-1.1';
const TARGET_PREFIX = 'secretsmanager.';
const MAX_BODY_BYTES = 2 * 1024 * 1024;
const CREDENTIAL_REGION = /Credential=[^/,\s]+\/\d{8}\/([a-z0-9-]+)\/secretsmanager\/aws4_request/;

export interface RequestContext {
  /** From the SigV4 Credential scope (W9), else the emulator's default region. */
  readonly region: string;
}

export type Operation = (body: Record<string, unknown>, context: RequestContext) => Record<string, unknown>;

export interface ServerOptions {
  readonly operations: Readonly<Record<string, Operation>>;
  readonly defaultRegion: string;
  /** GET /_emulator/<path> handlers for tools; return undefined for 404. */
  readonly extensions: (path: string, query: URLSearchParams) => unknown;
  /** Where unexpected failures are reported (never secret values: only the error name and stack). */
  readonly onInternalError?: (error: unknown) => void;
}

function send(
  response: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(body);
  response.writeHead(status, {
    'Content-Type': JSON_11, // W2: also on empty bodies
    'Content-Length': Buffer.byteLength(text),
    'x-amzn-RequestId': randomUUID(),
    ...headers,
  });
  response.end(text);
}

/** W4: `{"__type": "<Shape>", "Message": "..."}` with the spec's status (W5). */
function sendError(response: ServerResponse, error: ServiceError): void {
  send(
    response,
    error.status,
    { __type: error.type, Message: error.message },
    { 'x-amzn-ErrorType': error.type },
  );
}

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        reject(
          new ServiceError(
            ServiceErrorType.SerializationException,
            `Request body exceeds ${MAX_BODY_BYTES} bytes`,
          ),
        );
        request.destroy();
        return;
      }
      chunks.push(chunk);
    });
    request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    request.on('error', reject);
  });
}

/** W3: an empty body is `{}`; anything but a JSON object is a SerializationException. */
export function parseBody(text: string): Record<string, unknown> {
  if (text.trim() === '') return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new ServiceError(ServiceErrorType.SerializationException, 'The request body is not valid JSON.');
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new ServiceError(
      ServiceErrorType.SerializationException,
      'The request body must be a JSON object.',
    );
  }
  return parsed as Record<string, unknown>;
}

/** The HTTP face of the emulator: AWS JSON 1.1 on `POST /`, tool endpoints under `GET /_emulator/`. */
export function createJsonServer(options: ServerOptions): Server {
  const handle = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    const url = new URL(request.url ?? '/', 'http://localhost');
    if (request.method === 'GET' && url.pathname.startsWith('/_emulator/')) {
      const result = options.extensions(url.pathname.slice('/_emulator/'.length), url.searchParams);
      if (result === undefined) send(response, 404, { message: `Unknown emulator path ${url.pathname}` });
      else send(response, 200, result);
      return;
    }
    try {
      if (request.method !== 'POST' || url.pathname !== '/') {
        throw new ServiceError(
          ServiceErrorType.InvalidAction,
          `Secrets Manager accepts POST / only, not ${request.method} ${url.pathname}`,
        );
      }
      const target = request.headers['x-amz-target'];
      if (typeof target !== 'string' || !target.startsWith(TARGET_PREFIX)) {
        throw new ServiceError(
          ServiceErrorType.InvalidAction,
          'Missing or invalid X-Amz-Target header: expected secretsmanager.<Operation>',
        );
      }
      const name = target.slice(TARGET_PREFIX.length);
      const operation = Object.hasOwn(options.operations, name) ? options.operations[name] : undefined;
      // W8: CommonErrors' InvalidAction for an operation the service does not have.
      if (!operation)
        throw new ServiceError(
          ServiceErrorType.InvalidAction,
          `The action or operation ${name} is not valid for Secrets Manager.`,
        );
      const body = parseBody(await readBody(request));
      const region =
        CREDENTIAL_REGION.exec(request.headers.authorization ?? '')?.[1] ?? options.defaultRegion;
      send(response, 200, operation(body, { region }));
    } catch (error) {
      if (error instanceof ServiceError) {
        sendError(response, error);
        return;
      }
      options.onInternalError?.(error);
      sendError(
        response,
        new ServiceError(ServiceErrorType.InternalServiceError, 'An error occurred on the server side.'),
      );
    }
  };
  return createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      options.onInternalError?.(error);
      if (!response.headersSent)
        sendError(
          response,
          new ServiceError(ServiceErrorType.InternalServiceError, 'An error occurred on the server side.'),
        );
    });
  });
}
