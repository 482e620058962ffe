import { ErrorCode, RotationError } from '../../../../shared/errors.ts';
import type { FunctionDefinition } from '../../../../shared/rotation-function.ts';
import { Sensitive } from '../../../../shared/sensitive.ts';
import type { RotationStrategy } from '../../../../shared/strategy.ts';

/**
 * A small rotation kind for the CLI's tests: the secret is `{"user": "...", "token": "..."}`
 * and the target is an in-memory token store (setting a token replaces the old one). A
 * user listed in `failTestFor` fails testSecret, like a database that rejects the new
 * password, so the CLI can be watched reporting a failed step.
 */
export interface TokenValue {
  readonly user: string;
  readonly token: Sensitive<string>;
}

export class TokenTarget {
  readonly tokens = new Map<string, string>();
  readonly failTestFor = new Set<string>();
  readonly emergencies = new Set<string>();
}

function parse(secretString: Sensitive<string>, where: { versionId: string; stage: string }): TokenValue {
  let parsed: unknown;
  try {
    parsed = JSON.parse(secretString.reveal());
  } catch {
    throw new RotationError(
      ErrorCode.ERR_SECRET_MALFORMED,
      `Version ${where.versionId} (${where.stage}) is not JSON`,
    );
  }
  const { user, token } = (parsed ?? {}) as Record<string, unknown>;
  if (typeof user !== 'string' || typeof token !== 'string')
    throw new RotationError(
      ErrorCode.ERR_SECRET_MALFORMED,
      `Version ${where.versionId} needs string fields user and token`,
    );
  return { user, token: new Sensitive(token) };
}

export function tokenStrategy(
  target: TokenTarget,
  generate: () => Promise<Sensitive<string>>,
): RotationStrategy<TokenValue> {
  return {
    kind: 'generic',
    parse,
    serialize: (value) => new Sensitive(JSON.stringify({ user: value.user, token: value.token.reveal() })),
    createPending: async ({ current }) => ({ user: current.user, token: await generate() }),
    setSecret: async ({ pending, context }) => {
      target.tokens.set(pending.user, pending.token.reveal());
      if (context.emergency) target.emergencies.add(pending.user);
    },
    testSecret: async ({ pending }) => {
      if (target.failTestFor.has(pending.user))
        throw new RotationError(ErrorCode.ERR_TEST_FAILED, `Test login failed for user ${pending.user}`);
      if (target.tokens.get(pending.user) !== pending.token.reveal())
        throw new RotationError(ErrorCode.ERR_TEST_FAILED, `Pending token for ${pending.user} is not live`);
    },
  };
}

export function tokenFunction(target: TokenTarget): FunctionDefinition<TokenValue, object> {
  return {
    kind: 'generic',
    readConfig: () => ({}),
    createStrategy: ({ passwords }) =>
      tokenStrategy(target, () =>
        passwords.generate({
          PasswordLength: 32,
          ExcludeCharacters: '',
          ExcludeNumbers: false,
          ExcludePunctuation: true,
          ExcludeUppercase: false,
          ExcludeLowercase: false,
          IncludeSpace: false,
          RequireEachIncludedType: true,
        }),
      ),
  };
}
