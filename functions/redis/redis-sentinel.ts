import { ErrorCode, RotationError, isRotationError } from '../../shared/errors.ts';
import type { Log } from '../../shared/observability.ts';
import type { RotationContext } from '../../shared/strategy.ts';
import { Sensitive } from '../../shared/sensitive.ts';
import { adminSentinelsFor, type RedisAdmin } from './admin-secret.ts';
import {
  describeEndpoint,
  type RedisConnector,
  type RedisCredentials,
  type RedisEndpoint,
  type RedisSession,
} from './redis-port.ts';
import type { RedisNodeAddress, RedisSecret, SentinelSettings } from './redis-secret.ts';

/**
 * Redis Sentinel: which node is the primary, as the secret's sentinels report it, and the
 * sentinels' own copy of the rotated password (`sentinel auth-pass <master>`).
 *
 * Discovery asks every listed sentinel (`SENTINEL MASTER`: address and flags, `SENTINEL
 * REPLICAS`) and fails closed: fewer than a majority answering is ERR_TARGET_UNREACHABLE;
 * answering sentinels naming different primaries, or a failover in progress, is
 * ERR_TARGET_UNSAFE; a sentinel that does not monitor the name is ERR_TARGET_REJECTED (its
 * reply). The caller treats the primary and the replicas like any node (ROLE on each).
 *
 * A sentinel gets only the sentinel credential of the secret that lists it (or of the admin
 * secret that lists it too), and the rotated password only when the secret says the sentinels
 * log in with it (`sentinelAuthPass`), and only if it answered and agreed on the primary.
 */

export interface SentinelView {
  readonly masterName: string;
  readonly primary: RedisNodeAddress;
  /** Every replica an answering sentinel lists, up or down (the caller reaches each itself). */
  readonly replicas: readonly RedisNodeAddress[];
  /** Sentinels that answered and agree on the primary, in the secret's order. */
  readonly answered: readonly RedisEndpoint[];
  /** Listed sentinels that could not be reached (`host:port`). */
  readonly unreachable: readonly string[];
  readonly credentials: RedisCredentials;
}

/** What the sentinels said, and the secret and admin pointed at the primary they report. */
export interface SentinelResolution {
  readonly secret: RedisSecret;
  readonly admin: RedisAdmin | undefined;
  readonly view: SentinelView;
}

const NO_AUTH: RedisCredentials = { username: undefined, password: new Sensitive('') };
const UNREACHABLE = new Set<string>([ErrorCode.ERR_TARGET_UNREACHABLE, ErrorCode.ERR_TARGET_TIMEOUT]);
/** How long a sentinel may take to show its links authenticated again (it PINGs every second). */
export const SENTINEL_VERIFY_TIMEOUT_MS = 15_000;

/**
 * For a secret naming sentinels: the primary they agree on, with the secret (and the admin,
 * whose secret must list the same sentinels: adminSentinelsFor) pointed at it; undefined
 * without sentinels. `requireAll` (an emergency whose sentinels hold the revoked password as
 * auth-pass): an unreachable sentinel fails the step.
 */
export async function resolveThroughSentinels(
  connector: RedisConnector,
  secret: RedisSecret,
  admin: RedisAdmin | undefined,
  emergency: boolean,
  logger: Log,
): Promise<SentinelResolution | undefined> {
  if (secret.sentinel === undefined) return undefined;
  const tls = secret.tls || (admin?.endpoint.tls ?? false);
  const own = admin ? adminSentinelsFor(admin, secret) : secret.sentinel;
  const settings = { ...secret.sentinel, credentials: own.credentials ?? secret.sentinel.credentials };
  const view = await discoverThroughSentinels(
    connector,
    settings,
    tls,
    emergency && settings.authPass,
    logger,
  );
  const at = { host: view.primary.host, port: view.primary.port };
  return {
    secret: { ...secret, ...at },
    admin: admin && { ...admin, endpoint: { ...at, tls: admin.endpoint.tls } },
    view,
  };
}

export async function discoverThroughSentinels(
  connector: RedisConnector,
  settings: SentinelSettings,
  tls: boolean,
  requireAll: boolean,
  logger: Log,
): Promise<SentinelView> {
  const { masterName } = settings;
  const credentials = settings.credentials ?? NO_AUTH;
  const answers: { endpoint: RedisEndpoint; links: Link[] }[] = [];
  const unreachable: string[] = [];
  for (const { host, port } of settings.sentinels) {
    const endpoint = { host, port, tls };
    const name = describeEndpoint(endpoint);
    let session: RedisSession;
    try {
      session = await connector.open(endpoint, credentials);
    } catch (error) {
      if (!isRotationError(error) || !UNREACHABLE.has(error.code)) throw error;
      if (requireAll)
        throw new RotationError(
          ErrorCode.ERR_TARGET_UNREACHABLE,
          `Redis sentinel ${name} cannot be reached; its config holds the revoked password as ` +
            `auth-pass of "${masterName}", so the emergency rotation stops here (bring it back, or ` +
            `remove it from "sentinels")`,
          { cause: error, details: { node: name, causeCode: error.code } },
        );
      unreachable.push(name);
      continue;
    }
    try {
      const links = await readLinks(session, masterName);
      if (links[0]?.flags.some((f) => f === 'failover_in_progress' || f === 'promoted'))
        throw new RotationError(
          ErrorCode.ERR_TARGET_UNSAFE,
          `Redis sentinel ${name} reports a failover of "${masterName}" in progress; nothing was changed, retry once it completes`,
          { details: { node: name, masterName, reason: 'failover-in-progress' } },
        );
      answers.push({ endpoint, links });
    } finally {
      await session.close();
    }
  }
  const listed = settings.sentinels.length;
  const [first] = answers;
  if (first === undefined || answers.length <= listed / 2)
    throw new RotationError(
      ErrorCode.ERR_TARGET_UNREACHABLE,
      `Only ${answers.length} of ${listed} Redis sentinels answered (unreachable: ` +
        `${unreachable.join(', ')}); without a majority the primary of "${masterName}" is not trusted`,
      { details: { masterName, unreachable: unreachable.join(', ') } },
    );
  const primary = first.links[0]?.name ?? '';
  for (const { endpoint, links } of answers) {
    const other = links[0]?.name ?? '';
    if (other !== primary)
      throw new RotationError(
        ErrorCode.ERR_TARGET_UNSAFE,
        `Redis sentinels disagree on the primary of "${masterName}": ` +
          `${describeEndpoint(first.endpoint)} reports ${primary}, ${describeEndpoint(endpoint)} ` +
          `${other}; nothing was changed, retry once they agree`,
        { details: { masterName, primary, otherPrimary: other, reason: 'sentinels-disagree' } },
      );
  }
  if (unreachable.length > 0)
    logger.warn('Redis sentinels cannot be reached; the primary is the one the majority reports', {
      sentinels: unreachable.join(', '),
    });
  const replicas = new Map<string, RedisNodeAddress>();
  for (const { links } of answers) for (const link of links.slice(1)) replicas.set(link.name, link.address);
  logger.info('Found the Redis primary through the sentinels', {
    masterName,
    primary,
    replicas: replicas.size,
  });
  return {
    masterName,
    primary: first.links[0]?.address as RedisNodeAddress,
    replicas: [...replicas.values()],
    answered: answers.map((a) => a.endpoint),
    unreachable,
    credentials,
  };
}

interface Link {
  readonly name: string;
  readonly address: RedisNodeAddress;
  readonly flags: readonly string[];
  readonly okAgoMs: number;
}

/** `SENTINEL MASTER` then `SENTINEL REPLICAS`: the primary's link first, then each replica's. */
async function readLinks(session: RedisSession, masterName: string): Promise<Link[]> {
  const master = await sentinelCall(session, ['MASTER', masterName]);
  const replicas = await sentinelCall(session, ['REPLICAS', masterName]);
  if (!Array.isArray(replicas)) throw unexpected(session);
  return [master, ...replicas].map((reply: unknown) => {
    if (!Array.isArray(reply)) throw unexpected(session);
    const fields = new Map<string, string>();
    for (let i = 0; i + 1 < reply.length; i += 2) fields.set(String(reply[i]), String(reply[i + 1]));
    const address = { host: fields.get('ip') ?? '', port: Number(fields.get('port')) };
    if (address.host === '' || !(address.port > 0)) throw unexpected(session);
    return {
      name: describeEndpoint({ ...address, tls: false }),
      address,
      flags: (fields.get('flags') ?? '').split(','),
      // An OK PING or INFO reply (a refused AUTH gets neither), whichever came last.
      okAgoMs: Math.min(Number(fields.get('last-ok-ping-reply')), Number(fields.get('info-refresh'))),
    };
  });
}

/** `SENTINEL <args>`; NOPERM names the subcommand the sentinel user needs. */
async function sentinelCall(
  session: RedisSession,
  args: readonly string[],
  secret = false,
): Promise<unknown> {
  try {
    return await session.call('SENTINEL', args, { argsAreSecret: secret });
  } catch (error) {
    if (!isRotationError(error, ErrorCode.ERR_TARGET_PERMISSION_DENIED)) throw error;
    const node = describeEndpoint(session.endpoint);
    const command = `SENTINEL ${args[0] ?? ''}`;
    throw new RotationError(
      ErrorCode.ERR_TARGET_PERMISSION_DENIED,
      `Redis sentinel ${node}: the sentinel user may not run ${command}; grant +sentinel|${(args[0] ?? '').toLowerCase()}`,
      { cause: error, details: { node, command } },
    );
  }
}

function unexpected(session: RedisSession): RotationError {
  const node = describeEndpoint(session.endpoint);
  return new RotationError(ErrorCode.ERR_TARGET_REJECTED, `Redis sentinel ${node} sent an unexpected reply`, {
    details: { node, command: 'SENTINEL' },
  });
}

export interface SentinelStepDeps {
  readonly connector: RedisConnector;
  readonly sleep: (ms: number) => Promise<void>;
  readonly now: () => number;
}

/**
 * When the secret says its sentinels log in as this user (`sentinelAuthPass`), on every
 * sentinel that answered: `SENTINEL SET <master> [auth-user <user>] auth-pass <password>` (with
 * `set`; setSecret, once every data node accepts it), then wait until its link to the primary,
 * and to every replica whose link was up before, answered a PING or INFO after that. SET drops the
 * links and the sentinel reconnects with the new credential; a refused AUTH leaves the link
 * `disconnected` with `last-ok-ping-reply` and `info-refresh` growing, so an OK reply younger than the change proves
 * the data node took it. Without `set` (an emergency finish) only the links are checked.
 * Sentinels rewrite their config on SET: the password before is gone from it. A sentinel that did
 * not answer (a minority, normal rotation) keeps the one before, valid until the next rotation,
 * which sets it again: a warning names it. Returns the sentinels verified.
 */
export async function syncSentinels(
  deps: SentinelStepDeps,
  resolution: SentinelResolution | undefined,
  secret: RedisSecret,
  set: { readonly username: string | undefined; readonly password: Sensitive<string> } | undefined,
  context: Pick<RotationContext, 'logger' | 'remainingMs'>,
): Promise<string[]> {
  if (resolution === undefined || secret.sentinel?.authPass !== true) return [];
  const { view } = resolution;
  const left = (context.remainingMs?.() ?? Infinity) - 5_000;
  const timeoutMs = Math.max(0, Math.min(SENTINEL_VERIFY_TIMEOUT_MS, left));
  const done: string[] = [];
  for (const endpoint of view.answered) {
    const node = describeEndpoint(endpoint);
    const session = await deps.connector.open(endpoint, view.credentials);
    try {
      const watched = (await readLinks(session, view.masterName))
        .filter((link, i) => i === 0 || !link.flags.some((f) => /^(disconnected|s_down|o_down)$/.test(f)))
        .map((link) => link.name);
      if (set) {
        const user = set.username === undefined ? [] : ['auth-user', set.username];
        await sentinelCall(
          session,
          ['SET', view.masterName, ...user, 'auth-pass', set.password.reveal()],
          true,
        );
      }
      const since = deps.now();
      for (;;) {
        const elapsed = deps.now() - since;
        const stale = (await readLinks(session, view.masterName))
          .filter(
            (l) => watched.includes(l.name) && (l.flags.includes('disconnected') || !(l.okAgoMs < elapsed)),
          )
          .map((l) => l.name);
        if (stale.length === 0) break;
        if (deps.now() - since >= timeoutMs)
          throw new RotationError(
            ErrorCode.ERR_WAIT_TIMEOUT,
            `Redis sentinel ${node} has not logged in to ${stale.join(', ')} with the new password ` +
              `within ${timeoutMs} ms; check its auth-user/auth-pass for "${view.masterName}" and the ` +
              `data nodes' ACL`,
            { details: { node, nodes: stale.join(', '), masterName: view.masterName } },
          );
        await deps.sleep(200);
      }
      done.push(node);
    } finally {
      await session.close();
    }
  }
  context.logger.info('Sentinels log in to the data nodes with the new password', {
    sentinels: done.join(', '),
    masterName: view.masterName,
  });
  if (view.unreachable.length > 0)
    context.logger.warn(
      'Sentinels that cannot be reached keep the auth-pass before this rotation; it works until the next rotation, which sets it again',
      { sentinels: view.unreachable.join(', ') },
    );
  return done;
}
