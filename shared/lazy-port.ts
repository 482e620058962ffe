/** A port whose methods all answer with a promise: it can load its implementation on first use. */
type AsyncPort<T> = { readonly [K in keyof T]: (...args: never[]) => Promise<unknown> };

/**
 * A port that loads its implementation on the first call of any method, for adapters only
 * some secrets need (the RDS client for break-glass and RDS-managed admin secrets, the
 * ElastiCache client for ElastiCache modes). Called with a dynamic `import()`, the adapter
 * and its SDK client become a chunk of their own in the zip (scripts/build/bundle.ts), so a
 * function that never calls them never parses them. A failed load is not kept: the next
 * call tries again.
 */
export function lazyPort<T extends AsyncPort<T>>(load: () => Promise<T>, methods: readonly (keyof T)[]): T {
  let loading: Promise<T> | undefined;
  const port = (): Promise<T> => {
    loading ??= load().catch((error: unknown) => {
      loading = undefined;
      throw error;
    });
    return loading;
  };
  const lazy: Partial<Record<keyof T, unknown>> = {};
  for (const method of methods) {
    lazy[method] = async (...args: never[]) => {
      const impl = await port();
      return (impl[method] as (...a: never[]) => Promise<unknown>).apply(impl, args);
    };
  }
  return Object.freeze(lazy) as T;
}
