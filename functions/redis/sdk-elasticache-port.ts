import {
  DescribeReplicationGroupsCommand,
  DescribeUsersCommand,
  ElastiCacheClient,
  ModifyReplicationGroupCommand,
  ModifyUserCommand,
} from '@aws-sdk/client-elasticache';
import { callAws } from '../../shared/aws-call.ts';
import { ErrorCode, RotationError } from '../../shared/errors.ts';
import type { ElastiCachePort } from './elasticache-port.ts';

/** The AWS SDK adapter of the ElastiCache port. */
export function createSdkElastiCachePort(client: ElastiCacheClient): ElastiCachePort {
  return {
    async describeReplicationGroup(replicationGroupId) {
      const out = await send('DescribeReplicationGroups', replicationGroupId, () =>
        client.send(new DescribeReplicationGroupsCommand({ ReplicationGroupId: replicationGroupId })),
      );
      const group = out.ReplicationGroups?.[0];
      if (!group) throw notFound('replication group', replicationGroupId);
      return {
        replicationGroupId,
        status: group.Status ?? 'unknown',
        authTokenEnabled: group.AuthTokenEnabled === true,
        transitEncryptionEnabled: group.TransitEncryptionEnabled === true,
      };
    },
    async modifyAuthToken(replicationGroupId, authToken, strategy) {
      await send('ModifyReplicationGroup', replicationGroupId, () =>
        client.send(
          new ModifyReplicationGroupCommand({
            ReplicationGroupId: replicationGroupId,
            AuthToken: authToken.reveal(),
            AuthTokenUpdateStrategy: strategy,
            ApplyImmediately: true,
          }),
        ),
      );
    },
    async describeUser(userId) {
      const out = await send('DescribeUsers', userId, () =>
        client.send(new DescribeUsersCommand({ UserId: userId })),
      );
      const user = out.Users?.[0];
      if (!user) throw notFound('user', userId);
      return {
        userId,
        userName: user.UserName ?? '',
        status: user.Status ?? 'unknown',
        authenticationType: user.Authentication?.Type,
        passwordCount: user.Authentication?.PasswordCount,
      };
    },
    async modifyUserPasswords(userId, passwords) {
      await send('ModifyUser', userId, () =>
        client.send(new ModifyUserCommand({ UserId: userId, Passwords: passwords.map((p) => p.reveal()) })),
      );
    },
  };
}

export function createElastiCacheClient(options: {
  endpoint: string | undefined;
  region: string | undefined;
}): ElastiCacheClient {
  return new ElastiCacheClient({
    ...(options.endpoint ? { endpoint: options.endpoint } : {}),
    ...(options.region ? { region: options.region } : {}),
    maxAttempts: 3,
  });
}

/** One ElastiCache call; errors name the operation, AWS error and resource (`details.awsError`). */
const send = <T>(operation: string, resource: string, call: () => Promise<T>): Promise<T> =>
  callAws({ service: 'ElastiCache', operation, resource }, call);

function notFound(what: string, id: string): RotationError {
  return new RotationError(ErrorCode.ERR_AWS_API, `ElastiCache ${what} ${id} was not found`, {
    details: { resource: id, awsError: 'NotFound' },
  });
}
