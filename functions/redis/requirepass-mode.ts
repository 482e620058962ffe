import type { Log } from '../../shared/observability.ts';
import type { Sensitive } from '../../shared/sensitive.ts';
import { killUserClients } from './acl-user-mode.ts';
import { assertSameIdentity, proveLogin, type ModeDeps, type ModeHandler } from './mode-handler.ts';
import {
  closeAll,
  discoverNodes,
  openAll,
  openWithFirstWorking,
  persistNode,
  primaryEndpoint,
  type LabelledCredentials,
} from './redis-nodes.ts';
import { describeEndpoint, type RedisSession } from './redis-port.ts';
import { REDIS_DEFAULT_USERNAME, type RedisSecret } from './redis-secret.ts';

/**
 * Legacy `requirepass` mode: the `default` user's single password, a cut-over.
 * Order, so replication survives: every replica's `masterauth` first (used only when a
 * replica reconnects), then the primary's `requirepass`, then every replica's
 * `requirepass`; each node persisted (CONFIG REWRITE / ACL SAVE) right after. Sessions
 * authenticate with the current password, or the pending one where a previous attempt
 * already switched the node, so a re-run or a crash mid-way converges.
 */
export function createRequirepassMode(deps: ModeDeps): ModeHandler {
  return {
    async set({ current, pending, context }) {
      assertSameIdentity(current, pending, context.secretArn);
      const sessions = await openNodes(
        deps,
        pending,
        [legacy('current', current), legacy('pending', pending)],
        context.logger,
      );
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
      } finally {
        await closeAll(sessions);
      }
    },

    async test({ pending, context }) {
      const sessions = await openNodes(deps, pending, [legacy('pending', pending)], context.logger);
      const endpoints = sessions.map((s) => s.endpoint);
      await closeAll(sessions);
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
      const sessions = await openNodes(deps, current, [legacy('current', current)], context.logger);
      const revoked: string[] = [];
      try {
        for (const session of sessions) {
          const killed = await killUserClients(session, REDIS_DEFAULT_USERNAME);
          context.logger.warn('Emergency: closed the default user connections on node', {
            node: describeEndpoint(session.endpoint),
            connectionsClosed: killed,
          });
          revoked.push(
            `old requirepass password on ${describeEndpoint(session.endpoint)} (replaced at setSecret; ${String(killed)} connection(s) closed)`,
          );
        }
      } finally {
        await closeAll(sessions);
      }
      return { revoked };
    },
  };
}

function legacy(label: string, secret: RedisSecret): LabelledCredentials {
  return { label, credentials: { username: undefined, password: secret.password } };
}

async function openNodes(
  deps: ModeDeps,
  secret: RedisSecret,
  candidates: readonly LabelledCredentials[],
  logger: Log,
): Promise<RedisSession[]> {
  const { session: primary } = await openWithFirstWorking(
    deps.connector,
    primaryEndpoint(secret),
    candidates,
  );
  let endpoints;
  try {
    endpoints = await discoverNodes(primary, secret, deps.config.discoverReplicas, logger);
  } catch (error) {
    await primary.close();
    throw error;
  }
  return openAll(deps.connector, endpoints, candidates, [primary]);
}

async function configSet(
  session: RedisSession,
  parameter: 'requirepass' | 'masterauth',
  value: Sensitive<string>,
): Promise<void> {
  await session.call('CONFIG', ['SET', parameter, value.reveal()]);
}
