import { loadState, saveState } from './persistence.ts';
import type { SecretRecord } from './secret-record.ts';
import { SecretStore, type Clock } from './store.ts';

export interface RegionStoresOptions {
  readonly accountId: string;
  /** JSON file the state is loaded from at start and written to after each change. Default: memory only. */
  readonly stateFile?: string;
  /** Epoch milliseconds. Default Date.now. */
  readonly clock?: Clock;
  /** Versions a secret may hold (V5). Default 100. */
  readonly versionQuota?: number;
  /** Called after every change of a secret in `region`, once the state file (if any) is written. */
  readonly onChange: (region: string) => void;
}

/** One `SecretStore` per Region, created on first use, and the state file they are saved to. */
export class RegionStores {
  private readonly stores = new Map<string, SecretStore>();
  private loading = false;

  constructor(private readonly options: RegionStoresOptions) {}

  /** The store of `region`, created empty the first time a Region is named. */
  storeFor(region: string): SecretStore {
    let store = this.stores.get(region);
    if (!store) {
      store = new SecretStore({
        region,
        accountId: this.options.accountId,
        onChange: () => {
          this.persist();
          this.options.onChange(region);
        },
        ...(this.options.clock ? { clock: this.options.clock } : {}),
        ...(this.options.versionQuota !== undefined ? { versionQuota: this.options.versionQuota } : {}),
      });
      this.stores.set(region, store);
    }
    return store;
  }

  /** Every store created so far. */
  all(): SecretStore[] {
    return [...this.stores.values()];
  }

  /** Fill the stores from the state file, if one is configured and exists. */
  load(): void {
    if (!this.options.stateFile) return;
    this.loading = true;
    try {
      const state = loadState(this.options.stateFile);
      for (const [region, records] of Object.entries(state?.regions ?? {}))
        this.storeFor(region).load(records);
    } finally {
      this.loading = false;
    }
  }

  /** The secret `secretId` (name or ARN) names in any Region; a replica (MR4) only if no primary matches. */
  findPreferringPrimary(secretId: string): SecretRecord | undefined {
    return this.all()
      .map((store) => store.find(secretId))
      .filter((secret) => secret !== undefined)
      .sort((a, b) => Number(a.primaryRegion !== undefined) - Number(b.primaryRegion !== undefined))[0];
  }

  private persist(): void {
    if (!this.options.stateFile || this.loading) return;
    saveState(this.options.stateFile, {
      format: 1,
      regions: Object.fromEntries([...this.stores].map(([region, store]) => [region, store.snapshot()])),
    });
  }
}
