import { describe, expect, it } from 'vitest';
import { lazyPort } from '../../shared/lazy-port.ts';

interface Port {
  double(n: number): Promise<number>;
  name(): Promise<string>;
}

describe('lazyPort', () => {
  it('loads the implementation on the first call only, and never before', async () => {
    let loads = 0;
    const port = lazyPort<Port>(async () => {
      loads += 1;
      return { double: async (n) => n * 2, name: async () => 'real' };
    }, ['double', 'name']);
    expect(loads).toBe(0);
    expect(await port.double(21)).toBe(42);
    expect(await port.name()).toBe('real');
    expect(loads).toBe(1);
  });

  it('tries the load again after it failed', async () => {
    let attempts = 0;
    const port = lazyPort<Port>(async () => {
      attempts += 1;
      if (attempts === 1) throw new Error('chunk missing');
      return { double: async (n) => n * 2, name: async () => 'real' };
    }, ['double', 'name']);
    await expect(port.double(1)).rejects.toThrow('chunk missing');
    expect(await port.double(2)).toBe(4);
    expect(attempts).toBe(2);
  });
});
