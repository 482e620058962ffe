import { CredentialModel, type ChaosTarget } from './chaos-target.ts';
import type { NodeChaos } from './node-chaos.ts';
import { redisAdmin } from './redis-probe.ts';
import { newPassword, redisDefinition } from './redis-target.ts';

/**
 * What the Redis targets whose nodes go down and come back (cluster, replicas, sentinel) have
 * in common: ACL-user mode with zero downtime, one schedule at a time on a deployment (they
 * stop its nodes), schedules that may draw no call faults at all (so rotations also succeed
 * while a node is down), and an ACL user of each schedule's own on every data node.
 */
export const ACL_NODE_TARGET = {
  model: CredentialModel.zeroDowntime,
  emergency: true,
  repairSafe: true,
  exclusive: true,
  faultProbabilities: [0, 0, 0.03, 0.08, 0.15],
  env: { REDIS_MODE: 'acl', REDIS_CONNECT_TIMEOUT_MS: '2000', REDIS_COMMAND_TIMEOUT_MS: '2000' },
} as const satisfies Partial<ChaosTarget>;

export const nameOf = (server: { host: string; port: number }): string => `${server.host}:${server.port}`;

export function credentialsOf(secretString: string): { username?: string; password: string } {
  return JSON.parse(secretString) as { username?: string; password: string };
}

/** Creates the schedule's ACL user on every data node (saved to each node's ACL file). */
export async function createAclUser(
  servers: readonly { host: string; port: number }[],
  adminPassword: string,
  secretName: string,
): Promise<{ username: string; password: string }> {
  const username = `u_${secretName.replace(/[^a-zA-Z0-9]/g, '_').slice(-40)}`;
  const password = newPassword();
  for (const server of servers)
    await redisAdmin(server, { password: adminPassword }, [
      ['ACL', 'SETUSER', username, 'reset', 'on', `>${password}`, '~*', '&*', '+@all'],
      ['ACL', 'SAVE'],
    ]);
  return { username, password };
}

/** The members that follow from the deployment's node actor: the Redis function, the revocation probe, the restore. */
export function nodeTargetMembers(
  topology: NodeChaos,
): Pick<ChaosTarget, 'definition' | 'authenticates' | 'close'> {
  return {
    definition: redisDefinition,
    // "Works on some running node": what a revoked credential must not do (topology.judge asks "every").
    async authenticates(secretString) {
      return [...(await topology.answers(secretString)).values()].some(Boolean);
    },
    async close() {
      await topology.restore([]);
    },
  };
}
