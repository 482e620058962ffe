import { STEPS, type Step } from './constants.ts';
import { ErrorCode, RotationError } from './errors.ts';

/** The event Secrets Manager sends a rotation function, validated. */
export interface RotationEvent {
  readonly Step: Step;
  readonly SecretId: string;
  readonly ClientRequestToken: string;
  readonly RotationToken?: string;
}

const REQUIRED = ['Step', 'SecretId', 'ClientRequestToken'] as const;

/**
 * Validate an incoming event. Missing or non-string required fields and an unknown
 * `Step` are rejected with stable codes; unknown extra fields are ignored.
 */
export function parseRotationEvent(raw: unknown): RotationEvent {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new RotationError(
      ErrorCode.ERR_EVENT_INVALID,
      'Rotation event must be a JSON object with Step, SecretId and ClientRequestToken',
    );
  }
  const record = raw as Record<string, unknown>;
  const problems: string[] = [];
  for (const field of REQUIRED) {
    const value = record[field];
    if (value === undefined || value === null) problems.push(`${field} is missing`);
    else if (typeof value !== 'string') problems.push(`${field} must be a string, got ${typeof value}`);
    else if (value.length === 0) problems.push(`${field} is empty`);
  }
  const rotationToken = record['RotationToken'];
  if (rotationToken !== undefined && rotationToken !== null && typeof rotationToken !== 'string') {
    problems.push(`RotationToken must be a string when present, got ${typeof rotationToken}`);
  }
  if (problems.length > 0) {
    throw new RotationError(ErrorCode.ERR_EVENT_INVALID, `Invalid rotation event: ${problems.join('; ')}`, {
      details: { problems: problems.join('; ') },
    });
  }
  const step = record['Step'] as string;
  if (!(STEPS as readonly string[]).includes(step)) {
    throw new RotationError(
      ErrorCode.ERR_STEP_UNKNOWN,
      `Unknown Step "${step.slice(0, 64)}"; expected one of ${STEPS.join(', ')}`,
      {
        details: { step: step.slice(0, 64) },
      },
    );
  }
  return Object.freeze({
    Step: step as Step,
    SecretId: record['SecretId'] as string,
    ClientRequestToken: record['ClientRequestToken'] as string,
    ...(typeof rotationToken === 'string' && rotationToken.length > 0
      ? { RotationToken: rotationToken }
      : {}),
  });
}
