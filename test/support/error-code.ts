import { RotationError } from '../../shared/errors.ts';

/** What a thrown value says about itself, for assertions on stable error codes. */
function describeThrown(error: unknown): string {
  return error instanceof RotationError
    ? error.code
    : `not a RotationError: ${error instanceof Error ? error.name : typeof error}`;
}

/** The RotationError code `run` throws, or undefined when it does not throw. */
export function codeOf(run: () => unknown): string | undefined {
  try {
    run();
  } catch (error) {
    return describeThrown(error);
  }
  return undefined;
}

/** The RotationError code `promise` rejects with, or undefined when it resolves. */
export async function codeOfAsync(promise: Promise<unknown>): Promise<string | undefined> {
  try {
    await promise;
  } catch (error) {
    return describeThrown(error);
  }
  return undefined;
}
