/**
 * Errors the emulated service returns on the wire. Each carries the AWS shape name
 * (`__type`) and the HTTP status the spec gives it (W4, W5). The store throws these;
 * the server turns them into `{"__type": ..., "Message": ...}` bodies.
 */

export const ServiceErrorType = {
  ResourceNotFoundException: 'ResourceNotFoundException',
  InvalidParameterException: 'InvalidParameterException',
  InvalidRequestException: 'InvalidRequestException',
  ResourceExistsException: 'ResourceExistsException',
  LimitExceededException: 'LimitExceededException',
  InvalidNextTokenException: 'InvalidNextTokenException',
  AccessDeniedException: 'AccessDeniedException',
  ValidationException: 'ValidationException',
  SerializationException: 'SerializationException',
  InvalidAction: 'InvalidAction',
  InternalServiceError: 'InternalServiceError',
} as const;
export type ServiceErrorType = (typeof ServiceErrorType)[keyof typeof ServiceErrorType];

const STATUS: Readonly<Record<ServiceErrorType, number>> = {
  ResourceNotFoundException: 400,
  InvalidParameterException: 400,
  InvalidRequestException: 400,
  ResourceExistsException: 400,
  LimitExceededException: 400,
  InvalidNextTokenException: 400,
  AccessDeniedException: 400,
  ValidationException: 400,
  SerializationException: 400,
  InvalidAction: 400,
  // W5 / conflict 1: use 500, as CommonErrors.md says.
  InternalServiceError: 500,
};

export class ServiceError extends Error {
  readonly type: ServiceErrorType;
  readonly status: number;

  constructor(type: ServiceErrorType, message: string) {
    super(message);
    this.name = type;
    this.type = type;
    this.status = STATUS[type];
  }
}

export const notFound = (message = "Secrets Manager can't find the specified secret."): ServiceError =>
  new ServiceError(ServiceErrorType.ResourceNotFoundException, message);
export const invalidRequest = (message: string): ServiceError =>
  new ServiceError(ServiceErrorType.InvalidRequestException, message);
export const invalidParameter = (message: string): ServiceError =>
  new ServiceError(ServiceErrorType.InvalidParameterException, message);
export const resourceExists = (message: string): ServiceError =>
  new ServiceError(ServiceErrorType.ResourceExistsException, message);

/** A model-constraint failure, worded like AWS's ValidationException messages. */
export function validation(member: string, constraint: string, value: unknown = null): ServiceError {
  const shown =
    value === null || value === undefined
      ? 'null'
      : typeof value === 'string'
        ? `'${value.length > 64 ? `${value.slice(0, 64)}...` : value}'`
        : String(value);
  return new ServiceError(
    ServiceErrorType.ValidationException,
    `1 validation error detected: Value ${shown} at '${member}' failed to satisfy constraint: ${constraint}`,
  );
}
