import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { raw, startHarness, tok, type Harness } from './emulator-harness.ts';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h.close();
});

describe('secret values never leak from the emulator', () => {
  it('no error response, rotation record or tool endpoint contains a secret value', async () => {
    const canary = `CANARY${randomUUID().replaceAll('-', '')}`;
    const binary = Buffer.from(`${canary}-binary`).toString('base64');
    const texts: string[] = [];
    const call = async (operation: string, body: Record<string, unknown>): Promise<number> => {
      const response = await raw(h.emu.endpoint, operation, body);
      if (response.status !== 200) texts.push(response.text);
      return response.status;
    };
    expect(
      await call('CreateSecret', { Name: 'leak/one', SecretString: canary, ClientRequestToken: tok('v1') }),
    ).toBe(200);
    const failures = [
      await call('CreateSecret', {
        Name: 'leak/one',
        SecretString: `${canary}-other`,
        ClientRequestToken: tok('v1'),
      }),
      await call('PutSecretValue', {
        SecretId: 'leak/one',
        SecretString: `${canary}-different`,
        ClientRequestToken: tok('v1'),
      }),
      await call('PutSecretValue', {
        SecretId: 'leak/one',
        SecretString: canary.repeat(2000),
        ClientRequestToken: tok('big'),
      }),
      await call('PutSecretValue', {
        SecretId: 'leak/one',
        SecretString: canary,
        SecretBinary: binary,
        ClientRequestToken: tok('both'),
      }),
      await call('PutSecretValue', {
        SecretId: 'leak/one',
        SecretString: 5,
        ClientRequestToken: tok('type'),
      }),
      await call('PutSecretValue', {
        SecretId: 'leak/one',
        SecretString: canary,
        ClientRequestToken: tok('rt'),
        RotationToken: `${canary}!`,
      }),
      await call('UpdateSecret', {
        SecretId: 'leak/one',
        SecretString: `${canary}-again`,
        ClientRequestToken: tok('v1'),
      }),
      await call('CreateSecret', {
        Name: 'leak/bin',
        SecretBinary: Buffer.alloc(70_000, 1).toString('base64'),
        ClientRequestToken: tok('b'),
      }),
    ];
    expect(failures.every((status) => status === 400)).toBe(true);
    texts.push(JSON.stringify(h.emu.rotations));
    texts.push(await (await fetch(`${h.emu.endpoint}/_emulator/rotations`)).text());
    texts.push(await (await fetch(`${h.emu.endpoint}/_emulator/health`)).text());
    expect(texts.length).toBeGreaterThan(8);
    for (const text of texts) {
      expect(text).not.toContain(canary);
      expect(text).not.toContain(binary);
    }
  });
});
