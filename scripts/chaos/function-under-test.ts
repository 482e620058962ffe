import { DescribeSecretCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { Env } from '../../shared/config.ts';
import { EMERGENCY_STAGE } from '../../shared/rotation-progress.ts';
import { buildRotationFunction, type BuiltFunction } from '../../shared/rotation-function.ts';
import { createSdkSecretsPort } from '../../shared/sdk-secrets-port.ts';
import type { SecretsPort } from '../../shared/secrets-port.ts';
import { createMemoryLog, createMemoryMetrics } from '../testbed/memory-observability.ts';
import type { FaultController } from './fault-controller.ts';
import { injectFaults, secretsPortError } from './fault-injector.ts';
import { Invariant, type Violation } from './invariants.ts';
import type { LeakDetector } from './leak-detector.ts';
import type { ChaosTarget } from './targets/chaos-target.ts';

export interface FunctionUnderTestOptions {
  readonly client: SecretsManagerClient;
  /** The schedule's secret, and its name for the leak detector's labels. */
  readonly arn: string;
  readonly name: string;
  readonly target: ChaosTarget;
  readonly env: Env;
  readonly controller: FaultController;
  readonly leaks: LeakDetector;
  readonly violations: Violation[];
}

export interface FunctionUnderTest {
  readonly fn: BuiltFunction;
  readonly logger: ReturnType<typeof createMemoryLog>;
  readonly metrics: ReturnType<typeof createMemoryMetrics>;
  /**
   * Whether the tag was on the secret when each token's createSecret stored its value: the
   * emergency intent that rotation must carry (the operator only tags between steps).
   */
  readonly taggedAtCreate: ReadonlyMap<string, boolean>;
}

/**
 * The rotation function of the schedule's kind, as the service would run it, with its
 * Secrets Manager port and its target ports wrapped for faults. Its Secrets Manager port
 * also records every value it writes or draws (for the leak scan) and checks that a pending
 * value is stored with the emergency label exactly when the tag is set.
 */
export function buildFunctionUnderTest(options: FunctionUnderTestOptions): FunctionUnderTest {
  const { target, env, controller } = options;
  const logger = createMemoryLog();
  const metrics = createMemoryMetrics();
  const taggedAtCreate = new Map<string, boolean>();
  const recording = recordingSecretsPort(options, taggedAtCreate);
  const secrets = injectFaults('secrets', recording, controller, { errorFor: secretsPortError });
  const definition = target.definition(
    (portName, port, injectOptions) => injectFaults(portName, port, controller, injectOptions ?? {}),
    env,
  );
  const fn = buildRotationFunction(definition, { env, secrets, logger, metrics });
  return { fn, logger, metrics, taggedAtCreate };
}

function recordingSecretsPort(
  { client, arn, name, leaks, violations }: FunctionUnderTestOptions,
  taggedAtCreate: Map<string, boolean>,
): SecretsPort {
  const sdkPort = createSdkSecretsPort(client);
  // Every method async, so every call (the first included) is an injection point.
  return {
    describeSecret: async (id) => sdkPort.describeSecret(id),
    getSecretValue: async (i) => sdkPort.getSecretValue(i),
    putSecretValue: async (i) => {
      leaks.addSecretString(i.SecretString.reveal(), `${name} value put for version ${i.ClientRequestToken}`);
      const tags = (await client.send(new DescribeSecretCommand({ SecretId: arn }))).Tags ?? [];
      const tagged = tags.some((tag) => tag.Key === 'RotationMode' && tag.Value === 'emergency');
      const labelled = i.VersionStages.includes(EMERGENCY_STAGE);
      // Only a value the store accepts binds the rotation: createSecret puts first, so a re-run's put
      // of a fresh value is refused (ResourceExistsException) and the first stored value's label stands.
      const stored = await sdkPort.putSecretValue(i);
      if (tagged !== labelled && !taggedAtCreate.has(i.ClientRequestToken))
        violations.push({
          invariant: Invariant.emergency,
          at: `createSecret ${i.ClientRequestToken.slice(0, 8)}`,
          detail:
            `the pending value was stored ${labelled ? 'with' : 'without'} the emergency label ` +
            `while the tag was ${tagged ? 'set' : 'absent'}`,
        });
      taggedAtCreate.set(i.ClientRequestToken, labelled);
      return stored;
    },
    updateSecretVersionStage: async (i) => sdkPort.updateSecretVersionStage(i),
    listSecretVersionIds: async (id) => sdkPort.listSecretVersionIds(id),
    getRandomPassword: async (i) => {
      const value = await sdkPort.getRandomPassword(i);
      leaks.add(value.reveal(), `${name} generated password`);
      return value;
    },
    tagResource: async (id, tags) => sdkPort.tagResource(id, tags),
    untagResource: async (id, keys) => sdkPort.untagResource(id, keys),
  };
}
