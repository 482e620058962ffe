import type { EnvReader } from '../../shared/config.ts';
import { ErrorCode, RotationError } from '../../shared/errors.ts';
import type { FunctionDefinition } from '../../shared/rotation-function.ts';
import { DEFAULT_PASSWORD_POLICY, type PasswordGenerator } from '../../shared/password.ts';
import { Sensitive } from '../../shared/sensitive.ts';
import type { RotationStrategy, VersionRef } from '../../shared/strategy.ts';

/**
 * A deliberately small kind for the core's own tests: the secret is
 * `{"username": "...", "password": "..."}` and the "target" is an in-memory credential
 * store with single-user semantics (setting a password replaces the old one), so tests
 * can check that AWSCURRENT or AWSPENDING works at every point.
 */
export interface FakeValue {
  readonly username: string;
  readonly password: Sensitive<string>;
  readonly extra: Readonly<Record<string, unknown>>;
}

export class FakeTarget {
  readonly passwords = new Map<string, string>();
  readonly calls: string[] = [];
  /** Throw before/after the change on the next setSecret, to simulate a crash. */
  failSet: 'before' | 'after' | undefined;
  failTest = false;

  login(username: string, password: Sensitive<string>): boolean {
    this.calls.push(`login:${username}`);
    return this.passwords.get(username) === password.reveal();
  }

  setPassword(username: string, password: Sensitive<string>): void {
    if (this.failSet === 'before') throw new Error('injected crash before set');
    this.calls.push(`set:${username}`);
    this.passwords.set(username, password.reveal());
    if (this.failSet === 'after') throw new Error('injected crash after set');
  }
}

export function parseFake(secretString: Sensitive<string>, where: VersionRef): FakeValue {
  let parsed: unknown;
  try {
    parsed = JSON.parse(secretString.reveal());
  } catch {
    throw new RotationError(
      ErrorCode.ERR_SECRET_MALFORMED,
      `Version ${where.versionId} (${where.stage}) is not valid JSON`,
    );
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new RotationError(
      ErrorCode.ERR_SECRET_MALFORMED,
      `Version ${where.versionId} (${where.stage}) must be a JSON object`,
    );
  }
  const { username, password, ...extra } = parsed as Record<string, unknown>;
  if (typeof username !== 'string' || username === '') {
    throw new RotationError(
      ErrorCode.ERR_SECRET_MALFORMED,
      `Version ${where.versionId} (${where.stage}): field "username" must be a non-empty string`,
    );
  }
  if (typeof password !== 'string' || password === '') {
    throw new RotationError(
      ErrorCode.ERR_SECRET_MALFORMED,
      `Version ${where.versionId} (${where.stage}): field "password" must be a non-empty string`,
    );
  }
  return { username, password: new Sensitive(password), extra };
}

export function fakeStrategy(
  target: FakeTarget,
  passwords: PasswordGenerator,
  policy = { PasswordLength: 24 },
): RotationStrategy<FakeValue> {
  return {
    kind: 'generic',
    parse: parseFake,
    serialize: (value) =>
      new Sensitive(
        JSON.stringify({ ...value.extra, username: value.username, password: value.password.reveal() }),
      ),
    async createPending({ current }) {
      const password = await passwords.generate({
        ...DEFAULT_PASSWORD_POLICY,
        PasswordLength: policy.PasswordLength,
      });
      return { ...current, password };
    },
    async setSecret({ current, pending, previous }) {
      if (target.login(pending.username, pending.password)) return;
      if (pending.username !== current.username) {
        throw new RotationError(
          ErrorCode.ERR_SECRET_IDENTITY_CHANGED,
          'Pending username differs from current',
        );
      }
      const canLogIn =
        target.login(current.username, current.password) ||
        (previous !== undefined && target.login(previous.username, previous.password));
      if (!canLogIn)
        throw new RotationError(
          ErrorCode.ERR_NO_WORKING_CREDENTIAL,
          `No stored credential logs in as ${current.username}`,
        );
      target.setPassword(pending.username, pending.password);
    },
    async testSecret({ pending }) {
      if (target.failTest) throw new RotationError(ErrorCode.ERR_TEST_FAILED, 'Injected test failure');
      if (!target.login(pending.username, pending.password)) {
        throw new RotationError(
          ErrorCode.ERR_TEST_FAILED,
          `Pending credential for ${pending.username} does not log in`,
        );
      }
    },
  };
}

export function fakeFunction(target: FakeTarget): FunctionDefinition<FakeValue, { readonly length: number }> {
  return {
    kind: 'generic',
    readConfig: (reader: EnvReader) => ({
      length: reader.int('FAKE_PASSWORD_LENGTH', 24, { min: 8, max: 128 }),
    }),
    createStrategy: ({ passwords, config }) =>
      fakeStrategy(target, passwords, { PasswordLength: config.length }),
  };
}
