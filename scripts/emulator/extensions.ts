import type { CallCounter } from './call-counter.ts';
import type { RegionStores } from './region-stores.ts';
import type { RotationRecord } from './rotation-runner.ts';

export interface ExtensionsOptions {
  readonly stores: RegionStores;
  readonly counter: CallCounter;
  /** Every rotation so far, oldest first. */
  readonly history: () => readonly RotationRecord[];
  /** Secret name or ARN to ARN (see `resolveSecretArn`). */
  readonly resolveArn: (secretId: string) => string | undefined;
}

/** The emulator's own endpoints, `/_emulator/<path>`: health, calls and rotations; undefined for any other path. */
export function emulatorExtensions(
  options: ExtensionsOptions,
): (path: string, query: URLSearchParams) => unknown {
  const { stores, counter, history, resolveArn } = options;
  return (path, query) => {
    if (path === 'health')
      return {
        status: 'ok',
        secrets: stores.all().reduce((sum, store) => sum + store.all().length, 0),
        rotationsInFlight: history().filter((record) => record.outcome === 'in-progress').length,
      };
    if (path === 'calls') {
      const secretId = query.get('secretId');
      return { calls: counter.counts(secretId ? (resolveArn(secretId) ?? secretId) : undefined) };
    }
    if (path === 'rotations') {
      const secretId = query.get('secretId');
      const arn = secretId ? resolveArn(secretId) : undefined;
      return { rotations: history().filter((record) => !secretId || record.secretArn === arn) };
    }
    return undefined;
  };
}

/** Secret name or ARN to ARN, across Regions, preferring a primary (a replica, MR4, is never rotated itself); history covers deleted secrets. */
export function resolveSecretArn(
  stores: RegionStores,
  history: readonly RotationRecord[],
  secretId: string,
): string | undefined {
  const found = stores.findPreferringPrimary(secretId);
  if (found) return found.arn;
  const match = [...history]
    .reverse()
    .find((record) => record.secretArn === secretId || record.secretArn.includes(`:secret:${secretId}-`));
  return match?.secretArn;
}
