import type { Log } from '../../shared/observability.ts';
import type { Sensitive } from '../../shared/sensitive.ts';
import { killUserClients, recordNodes } from './acl-user-mode.ts';
import { assertSameIdentity, proveLogin, type ModeDeps, type ModeHandler } from './mode-handler.ts';
import { persistNode, type LabelledCredentials } from './redis-nodes.ts';
import { describeEndpoint, type RedisSession } from './redis-port.ts';
import { syncSentinels } from './redis-sentinel.ts';
import { REDIS_DEFAULT_USERNAME, type RedisSecret } from './redis-secret.ts';
import { closeTopology, openTopology, type Topology } from './redis-topology.ts';

/**
 * Legacy `requirepass` mode: the `default` user's single password, a cut-over.
 * Order, so replication survives: every replica's `masterauth` first (used only when a
 * replica reconnects), then the primary's `requirepass`, then every replica's
 * `requirepass`; each node persisted (CONFIG REWRITE / ACL SAVE) right after. Sessions
 * authenticate with the current password, or the pending one where a previous attempt
 * already switched the node, so a re-run or a crash mid-way converges; a node that missed a
 * rotation (down, or disconnected with an old masterauth) opens with AWSPREVIOUS and is brought
 * to the pending password, masterauth included. A cluster is refused (ERR_UNSUPPORTED_MODE).
 */
export function createRequirepassMode(deps: ModeDeps): ModeHandler {
  return {
    recordNodes: ({ current, previous, context }) =>
      recordNodes(
        current,
        (secret) =>
          openNodes(deps, secret, [legacy('current', current)], stale(previous), false, context.logger),
        context.logger,
      ),

    async set({ current, pending, previous, context }) {
      assertSameIdentity(current, pending, context.secretArn);
      const topology = await openNodes(
        deps,
        pending,
        [legacy('current', current), legacy('pending', pending)],
        stale(previous),
        context.emergency,
        context.logger,
      );
      const sessions = topology.nodes.map((n) => n.session);
      const [primary, ...replicas] = sessions;
      try {
        if (!primary) return;
        for (const replica of replicas) await configSet(replica, 'masterauth', pending.password);
        await configSet(primary, 'requirepass', pending.password);
        await persistNode(primary, context.logger, 'config');
        for (const replica of replicas) {
          await configSet(replica, 'requirepass', pending.password);
          await persistNode(replica, context.logger, 'config');
        }
        context.logger.warn(
          'Redis requirepass cut over: clients using the old password are refused from now on',
          {
            nodes: sessions.map((s) => describeEndpoint(s.endpoint)).join(', '),
          },
        );
        // The sentinels too (auth-pass alone: they authenticate as the default user).
        await syncSentinels(
          deps,
          topology.sentinels,
          pending,
          { username: undefined, password: pending.password },
          context,
        );
      } finally {
        await closeTopology(topology);
      }
    },

    async test({ pending, context }) {
      const topology = await openNodes(
        deps,
        pending,
        [legacy('pending', pending)],
        [],
        context.emergency,
        context.logger,
      );
      const endpoints = topology.nodes.map((n) => n.session.endpoint);
      await closeTopology(topology);
      for (const endpoint of endpoints) {
        await proveLogin(
          deps,
          endpoint,
          { username: undefined, password: pending.password },
          pending.db,
          context.logger,
        );
      }
    },

    async finish({ current, context }) {
      if (!context.emergency) return;
      const topology = await openNodes(deps, current, [legacy('current', current)], [], true, context.logger);
      const revoked: string[] = [];
      try {
        for (const { session } of topology.nodes) {
          const killed = await killUserClients(session, REDIS_DEFAULT_USERNAME);
          context.logger.warn('Emergency: closed the default user connections on node', {
            node: describeEndpoint(session.endpoint),
            connectionsClosed: killed,
          });
          revoked.push(
            `old requirepass password on ${describeEndpoint(session.endpoint)} (replaced at ` +
              `setSecret; ${String(killed)} connection(s) closed)`,
          );
        }
        const sentinels = await syncSentinels(deps, topology.sentinels, current, undefined, context);
        for (const node of sentinels)
          revoked.push(
            `the revoked password in sentinel ${node}'s auth-pass (it holds the new one; links verified)`,
          );
      } finally {
        await closeTopology(topology);
      }
      return { revoked };
    },
  };
}

function legacy(label: string, secret: RedisSecret): LabelledCredentials {
  return { label, credentials: { username: undefined, password: secret.password } };
}

function stale(previous: RedisSecret | undefined): LabelledCredentials[] {
  return previous ? [legacy('previous', previous)] : [];
}

function openNodes(
  deps: ModeDeps,
  secret: RedisSecret,
  candidates: readonly LabelledCredentials[],
  staleCandidates: readonly LabelledCredentials[],
  emergency: boolean,
  logger: Log,
): Promise<Topology> {
  return openTopology(
    deps.connector,
    {
      secret,
      own: candidates,
      stale: staleCandidates,
      discover: deps.config.discoverReplicas,
      emergency,
      allowCluster: false,
    },
    logger,
  );
}

async function configSet(
  session: RedisSession,
  parameter: 'requirepass' | 'masterauth',
  value: Sensitive<string>,
): Promise<void> {
  await session.call('CONFIG', ['SET', parameter, value.reveal()]);
}
