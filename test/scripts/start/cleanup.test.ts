import { describe, expect, it } from 'vitest';
import { Cleanup } from '../../../scripts/start/cleanup.ts';

describe('Cleanup', () => {
  it('stops in reverse order, once, and reports what failed to stop without throwing', async () => {
    const order: string[] = [];
    const cleanup = new Cleanup();
    cleanup.add('emulator', () => void order.push('emulator'));
    cleanup.add('postgres', () => Promise.reject(new Error('already gone')));
    cleanup.add('redis', async () => void order.push('redis'));
    const [first, second] = await Promise.all([cleanup.run(), cleanup.run()]);
    expect(order).toEqual(['redis', 'emulator']);
    expect(first).toEqual(['postgres']);
    expect(second).toBe(first);
  });
});
