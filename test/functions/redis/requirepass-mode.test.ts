import { describe, expect, it } from 'vitest';
import { EnvReader } from '../../../shared/config.ts';
import { createMemoryLog } from '../../../scripts/testbed/memory-observability.ts';
import type { SecretsPort } from '../../../shared/secrets-port.ts';
import { Sensitive } from '../../../shared/sensitive.ts';
import type { RotationContext } from '../../../shared/strategy.ts';
import type { ModeDeps } from '../../../functions/redis/mode-handler.ts';
import { readRedisConfig } from '../../../functions/redis/redis-config.ts';
import { parseRedisSecret } from '../../../functions/redis/redis-secret.ts';
import { createRequirepassMode } from '../../../functions/redis/requirepass-mode.ts';
import { addUser, createFakeRedis, sha } from './fake-redis-connector.ts';

const CUR = 'current-password-val';
const NEW = 'pending-password-val';
const secret = (password: string) =>
  parseRedisSecret(new Sensitive(`redis://:${password}@127.0.0.1:7001/0?mode=requirepass`), {
    versionId: 'v',
    stage: 'AWSCURRENT',
  });

function setup() {
  const fake = createFakeRedis([7001, 7002, 7003]);
  fake.nodes.get(7001)!.replicas = [7002, 7003];
  for (const node of fake.nodes.values()) addUser(node, 'default', [CUR]);
  const deps: ModeDeps = {
    connector: fake.connector,
    config: readRedisConfig(new EnvReader({})),
    elastiCache: () => {
      throw new Error('unused');
    },
    sleep: async () => undefined,
    now: () => 0,
  };
  const logger = createMemoryLog();
  const context = {
    secretArn: 'arn:s',
    emergency: false,
    logger,
    secrets: {} as SecretsPort,
  } as unknown as RotationContext;
  return { fake, mode: createRequirepassMode(deps), context, logger };
}

describe('requirepass mode setSecret', () => {
  it('sets masterauth on every replica before the primary requirepass, then the replicas requirepass', async () => {
    const { fake, mode, context, logger } = setup();
    await mode.set({ current: secret(CUR), pending: secret(NEW), previous: undefined, context });
    const sets = fake.commands
      .filter((c) => c.command === 'CONFIG' && c.args[0] === 'SET')
      .map((c) => `${c.port}:${c.args[1]}`);
    expect(sets).toEqual([
      '7002:masterauth',
      '7003:masterauth',
      '7001:requirepass',
      '7002:requirepass',
      '7003:requirepass',
    ]);
    for (const node of fake.nodes.values())
      expect([...node.users.get('default')!.passwords]).toEqual([sha(NEW)]);
    expect(logger.lines.some((line) => line.includes('requirepass cut over'))).toBe(true);
    expect(logger.lines.join('\n')).not.toContain(NEW);
  });

  it('cuts over a replica still in its full sync too (INFO replication lists it, ROLE does not yet)', async () => {
    const { fake, mode, context } = setup();
    fake.nodes.get(7001)!.replicas = [7002];
    fake.nodes.get(7001)!.syncing = [7003];
    await mode.set({ current: secret(CUR), pending: secret(NEW), previous: undefined, context });
    const sets = fake.commands
      .filter((c) => c.command === 'CONFIG' && c.args[0] === 'SET')
      .map((c) => `${c.port}:${c.args[1]}`);
    expect(sets).toEqual([
      '7002:masterauth',
      '7003:masterauth',
      '7001:requirepass',
      '7002:requirepass',
      '7003:requirepass',
    ]);
    for (const node of fake.nodes.values())
      expect([...node.users.get('default')!.passwords]).toEqual([sha(NEW)]);
  });

  it('converges when re-run after a crash between the primary and a replica', async () => {
    const { fake, mode, context } = setup();
    fake.failOnce = (c) => c.port === 7003 && c.args[1] === 'requirepass';
    await expect(
      mode.set({ current: secret(CUR), pending: secret(NEW), previous: undefined, context }),
    ).rejects.toThrow('simulated crash');
    expect([...fake.nodes.get(7001)!.users.get('default')!.passwords]).toEqual([sha(NEW)]);
    expect([...fake.nodes.get(7003)!.users.get('default')!.passwords]).toEqual([sha(CUR)]);
    await mode.set({ current: secret(CUR), pending: secret(NEW), previous: undefined, context });
    for (const node of fake.nodes.values())
      expect([...node.users.get('default')!.passwords]).toEqual([sha(NEW)]);
  });
});
