import { allows, requireAllowed, type AllowList } from '../../shared/allow-list.ts';
import type { RdsPort, RdsTarget } from './rds-port.ts';

/**
 * The RDS port as the function may use it: only on the databases it was deployed for. Every
 * call is checked before it is made, so no secret (a user host, an admin secret's tag, a
 * break-glass identifier) can lead the function's role to another database:
 * - Describe*: PG_RDS_RESOURCE_ARNS, or PG_BREAK_GLASS_RESOURCE_ARNS (break-glass reads the
 *   master user of what it may reset);
 * - ModifyDBInstance / ModifyDBCluster (break-glass): PG_BREAK_GLASS_RESOURCE_ARNS only.
 * Refusals are ERR_TARGET_NOT_ALLOWED, or ERR_CONFIG_INVALID when the list needed is unset.
 */
export function allowedRdsPort(
  port: () => RdsPort,
  lists: { readonly describe: AllowList | undefined; readonly reset: AllowList | undefined },
): RdsPort {
  const key = (kind: RdsTarget['kind'], identifier: string): string =>
    `${kind === 'instance' ? 'db' : 'cluster'}:${identifier.toLowerCase()}`;
  const what = (kind: RdsTarget['kind']): string => (kind === 'instance' ? 'RDS instance' : 'RDS cluster');
  const mayDescribe = (kind: RdsTarget['kind'], identifier: string): void => {
    if (allows(lists.reset, key(kind, identifier))) return;
    requireAllowed(lists.describe, 'PG_RDS_RESOURCE_ARNS', {
      what: what(kind),
      key: key(kind, identifier),
      name: identifier,
    });
  };
  return {
    async describeDbInstance(identifier) {
      mayDescribe('instance', identifier);
      return port().describeDbInstance(identifier);
    },
    async describeDbCluster(identifier) {
      mayDescribe('cluster', identifier);
      return port().describeDbCluster(identifier);
    },
    async resetMasterPassword(target, password) {
      requireAllowed(lists.reset, 'PG_BREAK_GLASS_RESOURCE_ARNS', {
        what: what(target.kind),
        key: key(target.kind, target.identifier),
        name: target.identifier,
      });
      return port().resetMasterPassword(target, password);
    },
  };
}
