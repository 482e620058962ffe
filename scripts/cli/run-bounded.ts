/** Run `worker` over `items` with at most `limit` in flight; results keep the input order. */
export async function runBounded<I, R>(
  items: readonly I[],
  limit: number,
  worker: (item: I, index: number) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const lanes = Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await worker(items[index] as I, index);
    }
  });
  await Promise.all(lanes);
  return results;
}
