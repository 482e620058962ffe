/**
 * A port-level fake of the ElastiCache API (same interface as the SDK adapter) that
 * enforces the rules the ElastiCache User Guide and API Reference document, and applies each
 * change to a real local Redis, so a test proves a real login.
 *
 * Rules it implements (source: ElastiCache User Guide, "Authenticating with the Valkey and
 * Redis OSS AUTH command" / modifying the AUTH token; API Reference, ModifyReplicationGroup
 * AuthTokenUpdateStrategy; CreateUser/ModifyUser; password constraints):
 *  - AUTH tokens need in-transit encryption: a token for a group without it is refused
 *    (InvalidParameterCombinationException).
 *  - ROTATE adds the token and keeps the one in use; when two are already set the oldest is
 *    dropped (never more than two). ROTATE on a group without AUTH turns AUTH on in the
 *    "optional" state: connections with or without a token are accepted until a SET.
 *  - SET keeps only the given token and is allowed only after a ROTATE (else
 *    InvalidParameterCombinationException); it ends the optional state.
 *  - RBAC users: ModifyUser takes one or two passwords.
 *  - Passwords: 16-128 printable characters, no `@`, `"` or `/` (tokens: specials limited to
 *    `!&#$^<>-`).
 *  - Propagation: modify calls need `available` / `active`; the resource is then `modifying` for
 *    `applyAfterPolls` describe calls, after which the change reaches Redis and the status
 *    returns. `stuck` keeps it `modifying` for ever.
 *
 * What it simplifies (so a test passing here is not proof of AWS behaviour on these points):
 *  - one Redis stands for every node of the group: the change reaches all "nodes" at once;
 *    real propagation node by node, and a reboot applying the change, are not modelled;
 *  - propagation is counted in describe calls, not time;
 *  - the optional-AUTH state is modelled as the default user also accepting `nopass`;
 *  - DELETE (moving to RBAC), user groups, IAM authentication, serverless caches, engine
 *    version checks and throttling are not implemented;
 *  - errors carry the fault name only, not AWS's message text.
 * Errors are RotationError ERR_AWS_API with the AWS fault name, as the SDK adapter raises.
 */
import { ErrorCode, RotationError } from '../../../shared/errors.ts';
import type { Sensitive } from '../../../shared/sensitive.ts';
import {
  elastiCachePasswordViolations,
  type AuthTokenUpdateStrategy,
  type ElastiCachePort,
  type ElastiCacheUserState,
  type ReplicationGroupState,
} from '../../../functions/redis/elasticache-port.ts';
import type { RedisServer } from '../../../scripts/testbed/servers.ts';
import { run } from './redis-harness.ts';

export interface FakeGroup {
  readonly replicationGroupId: string;
  authTokenEnabled: boolean;
  tokens: string[];
  /** Default true: AUTH tokens require it. */
  transitEncryptionEnabled?: boolean;
  /** AUTH on, "optional" (after a ROTATE on a group without AUTH, until a SET). */
  authOptional?: boolean;
  /** A ROTATE happened since the last SET (SET is allowed only then). */
  rotated?: boolean;
}

export interface FakeUser {
  readonly userId: string;
  readonly userName: string;
  passwords: string[];
}

export interface FakeCall {
  readonly operation: string;
  readonly id: string;
  readonly strategy?: AuthTokenUpdateStrategy;
  readonly passwordCount?: number;
}

export class FakeElastiCache implements ElastiCachePort {
  readonly calls: FakeCall[] = [];
  /** The most tokens ever active at once (must never exceed two). */
  maxTokensSeen = 0;
  stuck = false;
  readonly #server: RedisServer;
  readonly #admin: { user: string; password: string };
  readonly #groups = new Map<
    string,
    FakeGroup & { status: string; pending?: { polls: number; apply: () => Promise<void> } }
  >();
  readonly #users = new Map<
    string,
    FakeUser & { status: string; pending?: { polls: number; apply: () => Promise<void> } }
  >();
  readonly #applyAfterPolls: number;

  constructor(
    server: RedisServer,
    admin: { user: string; password: string },
    options: { applyAfterPolls?: number } = {},
  ) {
    this.#server = server;
    this.#admin = admin;
    this.#applyAfterPolls = options.applyAfterPolls ?? 2;
  }

  addGroup(group: FakeGroup): void {
    this.#groups.set(group.replicationGroupId, { ...group, status: 'available' });
    this.maxTokensSeen = Math.max(this.maxTokensSeen, group.tokens.length);
  }

  addUser(user: FakeUser): void {
    this.#users.set(user.userId, { ...user, status: 'active' });
  }

  group(id: string): FakeGroup & { status: string } {
    return this.#require(this.#groups, id, 'ReplicationGroupNotFoundFault');
  }

  async describeReplicationGroup(replicationGroupId: string): Promise<ReplicationGroupState> {
    this.calls.push({ operation: 'DescribeReplicationGroups', id: replicationGroupId });
    const group = this.#require(this.#groups, replicationGroupId, 'ReplicationGroupNotFoundFault');
    await this.#progress(group, 'available');
    return {
      replicationGroupId,
      status: group.status,
      authTokenEnabled: group.authTokenEnabled && group.authOptional !== true,
      transitEncryptionEnabled: group.transitEncryptionEnabled !== false,
    };
  }

  async modifyAuthToken(
    replicationGroupId: string,
    authToken: Sensitive<string>,
    strategy: AuthTokenUpdateStrategy,
  ): Promise<void> {
    this.calls.push({ operation: 'ModifyReplicationGroup', id: replicationGroupId, strategy });
    const group = this.#require(this.#groups, replicationGroupId, 'ReplicationGroupNotFoundFault');
    if (group.status !== 'available')
      throw fault('InvalidReplicationGroupStateFault', `group is ${group.status}`);
    if (group.transitEncryptionEnabled === false)
      throw fault('InvalidParameterCombinationException', 'AUTH tokens require in-transit encryption');
    if (elastiCachePasswordViolations(authToken.reveal(), 'auth-token').length > 0)
      throw fault('InvalidParameterValueException', 'AuthToken breaks the token rules');
    const token = authToken.reveal();
    let next: string[];
    let optional = group.authOptional === true;
    if (strategy === 'ROTATE') {
      // Keep the newest one in use; the oldest of two goes.
      const kept = group.tokens.filter((t) => t !== token).slice(-1);
      next = [...kept, token];
      if (!group.authTokenEnabled) optional = true;
    } else {
      if (group.rotated !== true)
        throw fault('InvalidParameterCombinationException', 'SET is allowed only after ROTATE');
      next = [token];
      optional = false;
    }
    group.status = 'modifying';
    group.pending = {
      polls: this.#applyAfterPolls,
      apply: async () => {
        await this.#setPasswords('default', next, optional);
        group.tokens = next;
        group.authTokenEnabled = true;
        group.authOptional = optional;
        group.rotated = strategy === 'ROTATE';
        this.maxTokensSeen = Math.max(this.maxTokensSeen, next.length);
      },
    };
  }

  async describeUser(userId: string): Promise<ElastiCacheUserState> {
    this.calls.push({ operation: 'DescribeUsers', id: userId });
    const user = this.#require(this.#users, userId, 'UserNotFoundFault');
    await this.#progress(user, 'active');
    return {
      userId,
      userName: user.userName,
      status: user.status,
      authenticationType: 'password',
      passwordCount: user.passwords.length,
    };
  }

  async modifyUserPasswords(userId: string, passwords: readonly Sensitive<string>[]): Promise<void> {
    this.calls.push({ operation: 'ModifyUser', id: userId, passwordCount: passwords.length });
    const user = this.#require(this.#users, userId, 'UserNotFoundFault');
    if (user.status !== 'active') throw fault('InvalidUserStateFault', `user is ${user.status}`);
    if (passwords.length < 1 || passwords.length > 2)
      throw fault('InvalidParameterValueException', 'one or two passwords');
    if (passwords.some((p) => elastiCachePasswordViolations(p.reveal(), 'user').length > 0))
      throw fault('InvalidParameterValueException', 'password breaks the rules');
    const next = passwords.map((p) => p.reveal());
    user.status = 'modifying';
    user.pending = {
      polls: this.#applyAfterPolls,
      apply: async () => {
        await this.#setPasswords(user.userName, next);
        user.passwords = next;
      },
    };
  }

  async #progress(
    resource: { status: string; pending?: { polls: number; apply: () => Promise<void> } },
    settled: string,
  ): Promise<void> {
    if (!resource.pending || this.stuck) return;
    resource.pending.polls -= 1;
    if (resource.pending.polls > 0) return;
    const { apply } = resource.pending;
    delete resource.pending;
    await apply();
    resource.status = settled;
  }

  async #setPasswords(user: string, passwords: readonly string[], optional = false): Promise<void> {
    await run(this.#server, this.#admin.user, this.#admin.password, [
      [
        'ACL',
        'SETUSER',
        user,
        'resetpass',
        ...passwords.map((p) => `>${p}`),
        ...(optional ? ['nopass'] : []),
      ],
    ]);
  }

  #require<T>(map: Map<string, T>, id: string, faultName: string): T {
    const found = map.get(id);
    if (!found) throw fault(faultName, `${id} not found`);
    return found;
  }
}

function fault(name: string, why: string): RotationError {
  return new RotationError(ErrorCode.ERR_AWS_API, `ElastiCache fake refused the call (${name}: ${why})`, {
    details: { awsError: name },
  });
}
