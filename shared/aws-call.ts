import { ErrorCode, RotationError } from './errors.ts';

/** Where an AWS SDK call went, for the error it may raise. */
export interface AwsCallTarget {
  /** The service as people name it: `Secrets Manager`, `RDS`, `ElastiCache`. */
  readonly service: string;
  /** The API operation, e.g. `DescribeSecret`. */
  readonly operation: string;
  /** The identifier the call was about (an ARN, an instance or group id); never a value. */
  readonly resource?: string | undefined;
  /** The details key the resource goes under (default `resource`; Secrets Manager uses `secretId`). */
  readonly resourceKey?: string;
  /** The stable code callers branch on. Default ERR_AWS_API. */
  readonly code?: ErrorCode;
}

/**
 * Run one AWS SDK call and turn whatever it throws into a RotationError that names the service,
 * operation, AWS error name and resource, with the SDK error kept as `cause`. The message never
 * quotes AWS's own message, which can echo request parameters.
 */
export async function callAws<T>(target: AwsCallTarget, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw awsCallError(target, error);
  }
}

export function awsCallError(target: AwsCallTarget, error: unknown): RotationError {
  if (error instanceof RotationError) return error;
  const awsError = error instanceof Error ? error.name : 'Error';
  const { service, operation, resource } = target;
  return new RotationError(
    target.code ?? ErrorCode.ERR_AWS_API,
    `${service} ${operation} failed with ${awsError}${resource ? ` for ${resource}` : ''}`,
    {
      cause: error,
      details: { operation, awsError, ...(resource ? { [target.resourceKey ?? 'resource']: resource } : {}) },
    },
  );
}

/** Whether an SDK error is one of the service's not-found errors (`ResourceNotFoundException`, `DBInstanceNotFoundFault`...). */
export const isAwsNotFound = (error: unknown): boolean =>
  error instanceof Error && /NotFound/.test(error.name);
