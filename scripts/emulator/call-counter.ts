/** Calls the emulator answered, per operation, grouped by the secret they named. */
export type CallCounts = Readonly<Record<string, number>>;

/**
 * Counts every Secrets Manager request the emulator answers (success or error), grouped by
 * the ARN of the secret the request named (SecretId, or Name for CreateSecret), so a test
 * or the benchmark can assert how many round trips a rotation function made. Requests that
 * name no secret (GetRandomPassword, ListSecrets) are grouped under no secret. Not an AWS
 * feature; real Secrets Manager shows the same figures only through CloudTrail.
 *
 * Memory stays bounded by the number of secrets times the number of operations.
 */
export class CallCounter {
  readonly #bySecret = new Map<string, Map<string, number>>();

  record(operation: string, secretArn: string | undefined): void {
    const key = secretArn ?? '';
    let counts = this.#bySecret.get(key);
    if (counts === undefined) {
      counts = new Map();
      this.#bySecret.set(key, counts);
    }
    counts.set(operation, (counts.get(operation) ?? 0) + 1);
  }

  /** Counts for one secret (by ARN), or for requests that named none when `secretArn` is undefined. */
  counts(secretArn: string | undefined): CallCounts {
    return Object.fromEntries(this.#bySecret.get(secretArn ?? '') ?? []);
  }
}
