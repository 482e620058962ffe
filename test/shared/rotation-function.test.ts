import { describe, expect, it } from 'vitest';
import type { RotationError } from '../../shared/errors.ts';
import { ErrorCode } from '../../shared/errors.ts';
import { buildRotationFunction } from '../../shared/rotation-function.ts';
import { createMemoryLog, createMemoryMetrics } from '../../scripts/testbed/memory-observability.ts';
import { FakeTarget, fakeFunction } from './fake-strategy.ts';
import { MemorySecretsPort } from './memory-secrets-port.ts';
import { codeOfAsync } from '../support/error-code.ts';

describe('buildRotationFunction', () => {
  it('reports every configuration problem at once, by name, and keeps failing the same way', async () => {
    const logger = createMemoryLog();
    const fn = buildRotationFunction(fakeFunction(new FakeTarget()), {
      env: { PASSWORD_LENGTH: 'lots', FAKE_PASSWORD_LENGTH: '3', SECRETS_MANAGER_ENDPOINT: 'ftp://x' },
      secrets: new MemorySecretsPort(),
      logger,
      metrics: createMemoryMetrics(),
    });
    for (let i = 0; i < 2; i += 1) {
      try {
        await fn.handler({ Step: 'createSecret', SecretId: 'x', ClientRequestToken: 'y' });
        expect.unreachable();
      } catch (error) {
        expect((error as RotationError).code).toBe(ErrorCode.ERR_CONFIG_INVALID);
        expect((error as Error).message).toMatch(
          /PASSWORD_LENGTH.*FAKE_PASSWORD_LENGTH|FAKE_PASSWORD_LENGTH.*PASSWORD_LENGTH/,
        );
        expect((error as Error).message).toContain('SECRETS_MANAGER_ENDPOINT');
      }
    }
  });

  it('rejects a malformed event before calling Secrets Manager', async () => {
    const port = new MemorySecretsPort();
    const fn = buildRotationFunction(fakeFunction(new FakeTarget()), {
      env: {},
      secrets: port,
      logger: createMemoryLog(),
      metrics: createMemoryMetrics(),
    });
    expect(await codeOfAsync(fn.handler({ Step: 'createSecret', SecretId: port.arn }))).toBe(
      ErrorCode.ERR_EVENT_INVALID,
    );
    expect(
      await codeOfAsync(
        fn.handler({ Step: 'finish_secret', SecretId: port.arn, ClientRequestToken: 't'.repeat(32) }),
      ),
    ).toBe(ErrorCode.ERR_STEP_UNKNOWN);
    expect(port.calls).toEqual([]);
  });

  it('reads configuration once and reuses it across invocations', async () => {
    let reads = 0;
    const def = fakeFunction(new FakeTarget());
    const counting = {
      ...def,
      readConfig: (reader: Parameters<typeof def.readConfig>[0]) => ((reads += 1), def.readConfig(reader)),
    };
    const port = new MemorySecretsPort().addVersion('c'.repeat(32), '{"username":"a","password":"b"}', [
      'AWSCURRENT',
    ]);
    const fn = buildRotationFunction(counting, {
      env: {},
      secrets: port,
      logger: createMemoryLog(),
      metrics: createMemoryMetrics(),
    });
    const event = { Step: 'testSecret', SecretId: port.arn, ClientRequestToken: 'c'.repeat(32) };
    await fn.handler(event);
    await fn.handler(event);
    expect(reads).toBe(1);
  });
});
