/**
 * An in-memory Redis port for unit tests: a few nodes with ACL users (passwords kept as
 * SHA-256 hashes, as Redis does), a primary/replica ROLE and INFO replication, permission flags, and a record
 * of every command with its arguments so tests can check what would reach the server.
 */
import { createHash } from 'node:crypto';
import { ErrorCode, RotationError } from '../../../shared/errors.ts';
import type {
  RedisConnector,
  RedisCredentials,
  RedisEndpoint,
  RedisSession,
} from '../../../functions/redis/redis-port.ts';

export const sha = (password: string): string => createHash('sha256').update(password).digest('hex');

export interface FakeNode {
  readonly port: number;
  readonly users: Map<string, { passwords: Set<string>; admin: boolean }>;
  /** Online replicas: listed by ROLE and INFO replication. */
  replicas: number[];
  /** Attached replicas still in their full sync: INFO replication lists them, ROLE does not. */
  syncing: number[];
  /** Commands (`ROLE`, `INFO REPLICATION`, ...) refused with NOPERM on this node whoever runs them. */
  denied: string[];
  reachable: boolean;
  aclFile: boolean;
  /** `masteruser` of a replica; undefined means unset (replicates as default). */
  masterUser?: string;
}

export interface RecordedCommand {
  readonly port: number;
  readonly user: string;
  readonly command: string;
  readonly args: readonly string[];
}

export interface FakeRedis {
  readonly connector: RedisConnector;
  readonly nodes: Map<number, FakeNode>;
  readonly commands: RecordedCommand[];
  readonly opened: number[];
  /** Throw once when this predicate matches a command (a crash mid-step). */
  failOnce?: (command: RecordedCommand) => boolean;
}

export function createFakeRedis(ports: number[]): FakeRedis {
  const nodes = new Map<number, FakeNode>(
    ports.map((port) => [
      port,
      { port, users: new Map(), replicas: [], syncing: [], denied: [], reachable: true, aclFile: true },
    ]),
  );
  const commands: RecordedCommand[] = [];
  const opened: number[] = [];
  const fake = { nodes, commands, opened } as { -readonly [K in keyof FakeRedis]: FakeRedis[K] };
  const where = (endpoint: RedisEndpoint) => `${endpoint.host}:${endpoint.port}`;

  const connector: RedisConnector = {
    async open(endpoint: RedisEndpoint, credentials: RedisCredentials): Promise<RedisSession> {
      const node = nodes.get(endpoint.port);
      if (!node || !node.reachable)
        throw new RotationError(
          ErrorCode.ERR_TARGET_UNREACHABLE,
          `Redis node ${where(endpoint)} cannot be reached`,
        );
      const user = credentials.username ?? 'default';
      const entry = node.users.get(user);
      if (!entry || !entry.passwords.has(sha(credentials.password.reveal()))) {
        throw new RotationError(
          ErrorCode.ERR_TARGET_AUTH_FAILED,
          `Redis node ${where(endpoint)}: authentication failed`,
        );
      }
      opened.push(endpoint.port);
      return {
        endpoint,
        async close() {},
        async call(command: string, args: readonly string[] = []) {
          const recorded = { port: endpoint.port, user, command, args };
          if (fake.failOnce?.(recorded)) {
            delete fake.failOnce;
            throw new Error('simulated crash');
          }
          commands.push(recorded);
          const sub = `${command} ${args[0] ?? ''}`.toUpperCase().trim();
          const adminOnly = [
            'ROLE',
            'ACL GETUSER',
            'ACL SETUSER',
            'ACL SAVE',
            'CONFIG GET',
            'CONFIG SET',
            'CONFIG REWRITE',
            'CLIENT KILL',
            'INFO SERVER',
            'INFO REPLICATION',
          ];
          if ((adminOnly.includes(sub) && !node.users.get(user)?.admin) || node.denied.includes(sub)) {
            throw new RotationError(
              ErrorCode.ERR_TARGET_PERMISSION_DENIED,
              `Redis node ${where(endpoint)}: NOPERM`,
            );
          }
          switch (sub) {
            case 'PING':
              return 'PONG';
            case 'DBSIZE':
              return 0;
            case 'ROLE': {
              // A node another node lists (online or syncing) is its replica.
              const primary = [...nodes.values()].find(
                (other) => other.replicas.includes(node.port) || other.syncing.includes(node.port),
              );
              if (primary) return ['slave', '127.0.0.1', primary.port, 'connected', 0];
              return ['master', 0, node.replicas.map((port) => ['127.0.0.1', String(port), '0'])];
            }
            case 'INFO CLUSTER':
              return '# Cluster\r\ncluster_enabled:0\r\n';
            case 'ACL GETUSER': {
              const target = node.users.get(args[1] ?? '');
              return target ? ['flags', ['on'], 'passwords', [...target.passwords]] : null;
            }
            case 'ACL SETUSER': {
              const target = node.users.get(args[1] ?? '');
              if (!target) throw new RotationError(ErrorCode.ERR_TARGET_REJECTED, 'no such user');
              for (const rule of args.slice(2)) {
                if (rule === 'resetpass') target.passwords.clear();
                else if (rule.startsWith('#')) target.passwords.add(rule.slice(1));
                else if (rule.startsWith('>')) target.passwords.add(sha(rule.slice(1)));
              }
              return 'OK';
            }
            case 'CONFIG SET':
              if (args[1] === 'requirepass')
                node.users.set('default', { passwords: new Set([sha(args[2] ?? '')]), admin: true });
              return 'OK';
            case 'CONFIG GET':
              if (args[1] === 'masteruser') return ['masteruser', node.masterUser ?? ''];
              return ['aclfile', node.aclFile ? '/data/users.acl' : ''];
            case 'INFO SERVER':
              return '# Server\r\nconfig_file:\r\n';
            case 'INFO REPLICATION': {
              const attached = [
                ...node.replicas.map((p) => [p, 'online'] as const),
                ...node.syncing.map((p) => [p, 'wait_bgsave'] as const),
              ];
              const lines = attached.map(
                ([p, state], i) => `slave${i}:ip=127.0.0.1,port=${p},state=${state},offset=0,lag=0`,
              );
              return [
                '# Replication',
                'role:master',
                `connected_slaves:${attached.length}`,
                ...lines,
                'master_repl_offset:0',
                '',
              ].join('\r\n');
            }
            case 'ACL SAVE':
              return 'OK';
            case 'CLIENT KILL':
              return 1;
            default:
              return 'OK';
          }
        },
      };
    },
  };
  fake.connector = connector;
  return fake;
}

export function addUser(node: FakeNode, user: string, passwords: string[], admin = true): void {
  node.users.set(user, { passwords: new Set(passwords.map(sha)), admin });
}
