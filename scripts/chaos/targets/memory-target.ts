import { ErrorCode, RotationError } from '../../../shared/errors.ts';
import type { FunctionDefinition } from '../../../shared/rotation-function.ts';
import { Sensitive } from '../../../shared/sensitive.ts';
import type { RotationStrategy, VersionRef } from '../../../shared/strategy.ts';
import { CredentialModel, type ChaosTarget } from './chaos-target.ts';

/**
 * A single-user credential store in memory, rotated by a template-style strategy (AWS's
 * single-user logic: try current, then pending, then previous to log in; set the new
 * password). It proves the harness and the core without a server: `generic/memory`.
 */
export interface CredentialPort {
  login(username: string, password: Sensitive<string>): Promise<boolean>;
  setPassword(username: string, password: Sensitive<string>): Promise<void>;
}

interface MemoryValue {
  readonly username: string;
  readonly password: Sensitive<string>;
}

export class MemoryCredentialStore implements CredentialPort {
  readonly #passwords = new Map<string, string>();

  async login(username: string, password: Sensitive<string>): Promise<boolean> {
    return this.#passwords.get(username) === password.reveal();
  }

  async setPassword(username: string, password: Sensitive<string>): Promise<void> {
    this.#passwords.set(username, password.reveal());
  }
}

function parse(secretString: Sensitive<string>, where: VersionRef): MemoryValue {
  let parsed: unknown;
  try {
    parsed = JSON.parse(secretString.reveal());
  } catch {
    throw new RotationError(
      ErrorCode.ERR_SECRET_MALFORMED,
      `Version ${where.versionId} (${where.stage}) is not valid JSON`,
    );
  }
  const record = (parsed ?? {}) as Record<string, unknown>;
  if (typeof record['username'] !== 'string' || typeof record['password'] !== 'string') {
    throw new RotationError(
      ErrorCode.ERR_SECRET_MALFORMED,
      `Version ${where.versionId} (${where.stage}) needs string fields username and password`,
    );
  }
  return { username: record['username'], password: new Sensitive(record['password']) };
}

/**
 * Deliberate bugs, to prove the harness catches them (a harness that cannot fail proves nothing):
 * - `set-not-idempotent`: setSecret logs in only with AWSCURRENT (not AWSPENDING), so a
 *   retry after a crash that landed the change can never finish;
 * - `logs-password`: createSecret logs the new password.
 */
export type MemoryBug = 'set-not-idempotent' | 'logs-password';

function memoryStrategy(
  store: CredentialPort,
  generate: () => Promise<Sensitive<string>>,
  bug?: MemoryBug,
): RotationStrategy<MemoryValue> {
  return {
    kind: 'generic',
    parse,
    // One password per user: setSecret cuts over (the single-user model).
    setReplacesCurrent: () => true,
    serialize: (value) =>
      new Sensitive(JSON.stringify({ username: value.username, password: value.password.reveal() })),
    createPending: async ({ current, context }) => {
      const password = await generate();
      if (bug === 'logs-password') context.logger.info('Generated password', { password: password.reveal() });
      return { username: current.username, password };
    },
    async setSecret({ current, pending, previous }) {
      if (bug !== 'set-not-idempotent' && (await store.login(pending.username, pending.password))) return;
      const candidates = (bug === 'set-not-idempotent' ? [current] : [current, previous]).filter(
        (value): value is MemoryValue => value !== undefined,
      );
      for (const candidate of candidates) {
        if (await store.login(candidate.username, candidate.password)) {
          await store.setPassword(pending.username, pending.password);
          return;
        }
      }
      throw new RotationError(
        ErrorCode.ERR_NO_WORKING_CREDENTIAL,
        `No stored credential logs in as ${current.username}`,
      );
    },
    async testSecret({ pending }) {
      if (!(await store.login(pending.username, pending.password))) {
        throw new RotationError(
          ErrorCode.ERR_TEST_FAILED,
          `Pending credential for ${pending.username} does not log in`,
        );
      }
    },
  };
}

export function memoryTarget(bug?: MemoryBug): ChaosTarget {
  const store = new MemoryCredentialStore();
  let counter = 0;
  return {
    name: bug === undefined ? 'generic/memory' : `generic/memory-bug-${bug}`,
    model: CredentialModel.single,
    emergency: false,
    repairSafe: false,
    env: {},
    async provision(secretName, rng) {
      counter += 1;
      const username = `user${counter}`;
      const password = `Init-${secretName}-${rng.int(1e8, 9e8)}`;
      await store.setPassword(username, new Sensitive(password));
      return { secretString: JSON.stringify({ username, password }) };
    },
    definition(wrap): FunctionDefinition<unknown, object> {
      const port = wrap('memory', store as CredentialPort);
      return {
        kind: 'generic',
        readConfig: () => ({}),
        createStrategy: ({ passwords, core }) =>
          memoryStrategy(
            port,
            () => passwords.generate(core.passwordPolicy),
            bug,
          ) as RotationStrategy<unknown>,
      };
    },
    async authenticates(secretString) {
      const value = parse(new Sensitive(secretString), { versionId: '-', stage: '-' });
      return store.login(value.username, value.password);
    },
    async close() {},
  };
}
