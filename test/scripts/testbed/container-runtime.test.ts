import { describe, expect, it } from 'vitest';
import { chooseBackend } from '../../../scripts/testbed/container-runtime.ts';

describe('chooseBackend', () => {
  it('takes an explicit option over TEST_BED_BACKEND', async () => {
    expect(await chooseBackend('local', { TEST_BED_BACKEND: 'container' })).toBe('local');
  });

  it('takes TEST_BED_BACKEND when no option is given', async () => {
    expect(await chooseBackend(undefined, { TEST_BED_BACKEND: 'container' })).toBe('container');
    expect(await chooseBackend(undefined, { TEST_BED_BACKEND: 'local' })).toBe('local');
  });

  it('rejects an unknown TEST_BED_BACKEND by name without echoing its value', async () => {
    const attempt = chooseBackend(undefined, { TEST_BED_BACKEND: 'dokcer' });
    await expect(attempt).rejects.toThrow("TEST_BED_BACKEND must be 'local' or 'container'");
    await expect(attempt).rejects.not.toThrow('dokcer');
  });
});
