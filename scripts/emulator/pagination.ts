import { ServiceError, ServiceErrorType } from './service-error.ts';

/** NextToken values are opaque to clients; here they carry an offset. */
export function encodeOffset(offset: number): string {
  return Buffer.from(JSON.stringify({ offset }), 'utf8').toString('base64');
}

/** 0 without a token; InvalidNextTokenException for anything this emulator did not issue. */
export function decodeOffset(token: string | undefined, length: number): number {
  if (token === undefined) return 0;
  try {
    const parsed = JSON.parse(Buffer.from(token, 'base64').toString('utf8')) as { offset?: unknown };
    if (
      typeof parsed.offset === 'number' &&
      Number.isInteger(parsed.offset) &&
      parsed.offset >= 0 &&
      parsed.offset <= length
    )
      return parsed.offset;
  } catch {
    // not ours: fall through
  }
  throw new ServiceError(ServiceErrorType.InvalidNextTokenException, 'The NextToken value is not valid.');
}
