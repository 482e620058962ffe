import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import {
  DescribeSecretCommand,
  PutSecretValueCommand,
  UpdateSecretVersionStageCommand,
} from '@aws-sdk/client-secrets-manager';
export { clientFor, startHarness, type Harness } from '../../support/emulator-harness.ts';

/** The error an SDK call rejects with: name, message and HTTP status. */
export async function failure(
  promise: Promise<unknown>,
): Promise<{ name: string; message: string; status: number | undefined }> {
  try {
    await promise;
  } catch (error) {
    const e = error as { name: string; message: string; $metadata?: { httpStatusCode?: number } };
    return { name: e.name, message: e.message, status: e.$metadata?.httpStatusCode };
  }
  throw new Error('expected the call to fail');
}

export interface RotationEvent {
  readonly Step: string;
  readonly SecretId: string;
  readonly ClientRequestToken: string;
  readonly RotationToken?: string;
}

/**
 * A minimal well-behaved rotation function written like AWS's template: createSecret
 * puts `next(current)` as AWSPENDING, finishSecret moves AWSCURRENT. `hooks` can fail steps.
 */
export function templateFunction(
  sm: SecretsManagerClient,
  hooks: {
    readonly next?: (event: RotationEvent) => string;
    readonly onStep?: (event: RotationEvent) => void | Promise<void>;
  } = {},
): (event: unknown) => Promise<void> {
  return async (raw) => {
    const event = raw as RotationEvent;
    await hooks.onStep?.(event);
    const { Step, SecretId, ClientRequestToken } = event;
    if (Step === 'createSecret') {
      await sm.send(
        new PutSecretValueCommand({
          SecretId,
          ClientRequestToken,
          SecretString: hooks.next?.(event) ?? `value-${ClientRequestToken}`,
          VersionStages: ['AWSPENDING'],
        }),
      );
    } else if (Step === 'finishSecret') {
      const described = await sm.send(new DescribeSecretCommand({ SecretId }));
      const current = Object.entries(described.VersionIdsToStages ?? {}).find(([, stages]) =>
        stages.includes('AWSCURRENT'),
      )?.[0];
      if (current === ClientRequestToken) return;
      await sm.send(
        new UpdateSecretVersionStageCommand({
          SecretId,
          VersionStage: 'AWSCURRENT',
          MoveToVersionId: ClientRequestToken,
          RemoveFromVersionId: current,
        }),
      );
    }
  };
}

export interface RawResponse {
  readonly status: number;
  readonly contentType: string | null;
  readonly text: string;
  readonly json: Record<string, unknown>;
}

/** One raw AWS JSON 1.1 request, without the SDK (for wire-level statements). */
export async function raw(
  endpoint: string,
  operation: string | undefined,
  body: string | Record<string, unknown>,
  headers: Record<string, string> = {},
): Promise<RawResponse> {
  const response = await fetch(endpoint, {
    method: 'POST',
    headers: {
      'Content-Type': 'application/x-amz-json-1.1',
      ...(operation === undefined ? {} : { 'X-Amz-Target': `secretsmanager.${operation}` }),
      ...headers,
    },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await response.text();
  let json: Record<string, unknown> = {};
  try {
    json = JSON.parse(text) as Record<string, unknown>;
  } catch {
    // leave empty
  }
  return { status: response.status, contentType: response.headers.get('content-type'), text, json };
}

/** A valid 32-character ClientRequestToken/VersionId from a short label. */
export const tok = (label: string): string => `${label}-`.padEnd(32, '0');
