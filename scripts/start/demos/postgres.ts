import { randomBytes } from 'node:crypto';
import {
  CreateSecretCommand,
  GetSecretValueCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import pg from 'pg';
import { pgLoginOutcome } from '../../testbed/pg-login.ts';
import type { Check, Demo, DemoStack } from '../demo.ts';

/**
 * PostgreSQL credentials against a real PostgreSQL 15 (scram-sha-256, TLS verified with
 * the throwaway CA). The checks log in with the values from the secret, as an
 * application would.
 */

type PgTarget = DemoStack['postgres'];

function password(): string {
  return randomBytes(24).toString('base64url');
}

function ssl(target: PgTarget): pg.ClientConfig['ssl'] {
  return target.caPem ? { ca: target.caPem, servername: 'localhost' } : false;
}

/** 'ok', or the SQLSTATE of the failed login (28P01: wrong password). */
function login(target: PgTarget, user: string, secret: string): Promise<string> {
  return pgLoginOutcome(
    {
      host: target.host,
      port: target.port,
      database: target.database,
      tls: target.caPem ? { caPem: target.caPem, serverName: 'localhost' } : undefined,
    },
    user,
    secret,
  );
}

async function asAdmin(target: PgTarget, statements: readonly string[]): Promise<void> {
  const client = new pg.Client({
    host: target.host,
    port: target.port,
    user: target.adminUser,
    password: target.adminPassword,
    database: target.database,
    ssl: ssl(target),
  });
  await client.connect();
  try {
    for (const statement of statements) await client.query(statement);
  } finally {
    await client.end();
  }
}

function secretJson(
  target: PgTarget,
  username: string,
  secret: string,
  extra: Record<string, unknown> = {},
): string {
  return JSON.stringify({
    engine: 'postgres',
    host: target.host,
    port: target.port,
    username,
    password: secret,
    dbname: target.database,
    ...extra,
  });
}

const single: Demo = {
  title: 'PostgreSQL, single user',
  kind: 'postgres',
  secretName: 'demo/postgres/single',
  async setup(stack) {
    const first = password();
    await asAdmin(stack.postgres, [`CREATE ROLE demo_single LOGIN PASSWORD ${pg.escapeLiteral(first)}`]);
    return secretJson(stack.postgres, 'demo_single', first);
  },
  async verify(stack, { current, previous }) {
    const now = JSON.parse(current) as { username: string; password: string };
    const before = JSON.parse(previous) as { username: string; password: string };
    const newLogin = await login(stack.postgres, now.username, now.password);
    const oldLogin = await login(stack.postgres, before.username, before.password);
    return [
      {
        label: `new: ${now.username} logs in with the AWSCURRENT password (${newLogin})`,
        ok: newLogin === 'ok',
      },
      {
        label: `old: the AWSPREVIOUS password is refused (${oldLogin === '28P01' ? 'SQLSTATE 28P01, wrong password' : oldLogin})`,
        ok: oldLogin === '28P01',
      },
    ] satisfies Check[];
  },
};

const alternating: Demo = {
  title: 'PostgreSQL, alternating users (admin secret)',
  kind: 'postgres',
  secretName: 'demo/postgres/alternating',
  async setup(stack) {
    const target = stack.postgres;
    const admin = await stack.sm.send(
      new CreateSecretCommand({
        Name: 'demo/postgres/admin',
        SecretString: secretJson(target, target.adminUser, target.adminPassword),
        Description: 'npm start demo: admin credential',
      }),
    );
    const first = password();
    await asAdmin(target, [
      `CREATE ROLE demo_alt LOGIN PASSWORD ${pg.escapeLiteral(first)}`,
      'GRANT pg_read_all_data TO demo_alt',
    ]);
    return secretJson(target, 'demo_alt', first, { masterarn: admin.ARN });
  },
  async verify(stack, { current, previous }) {
    const now = JSON.parse(current) as { username: string; password: string };
    const before = JSON.parse(previous) as { username: string; password: string };
    const newLogin = await login(stack.postgres, now.username, now.password);
    const oldLogin = await login(stack.postgres, before.username, before.password);
    return [
      {
        label: `the secret switched users: ${before.username} -> ${now.username}`,
        ok: now.username !== before.username,
      },
      {
        label: `new: ${now.username} logs in with the AWSCURRENT password (${newLogin})`,
        ok: newLogin === 'ok',
      },
      {
        label: `old: ${before.username} still logs in with its password until the next rotation (${oldLogin})`,
        ok: oldLogin === 'ok',
      },
    ] satisfies Check[];
  },
};

const REPLICA_REGION = 'us-west-2';

/** The standby Region's view: AWSCURRENT as an application there reads it, from the replica. */
async function replicaCurrent(
  stack: DemoStack,
  secretName: string,
): Promise<{ versionId?: string; value: string }> {
  const client = new SecretsManagerClient({
    endpoint: stack.endpoint,
    region: REPLICA_REGION,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  try {
    const out = await client.send(new GetSecretValueCommand({ SecretId: secretName }));
    const value = out.SecretString ?? '';
    stack.known.add(value);
    return { ...(out.VersionId ? { versionId: out.VersionId } : {}), value };
  } finally {
    client.destroy();
  }
}

const replicated: Demo = {
  title: `PostgreSQL, single user, replicated to ${REPLICA_REGION} (replication delayed 800 ms)`,
  kind: 'postgres',
  secretName: 'demo/postgres/replicated',
  replicaRegions: [REPLICA_REGION],
  async setup(stack) {
    const first = password();
    await asAdmin(stack.postgres, [`CREATE ROLE demo_replicated LOGIN PASSWORD ${pg.escapeLiteral(first)}`]);
    return secretJson(stack.postgres, 'demo_replicated', first);
  },
  async verify(stack, { current, previous }) {
    const replica = await replicaCurrent(stack, 'demo/postgres/replicated');
    const fromReplica = JSON.parse(replica.value) as { username: string; password: string };
    const before = JSON.parse(previous) as { username: string; password: string };
    const replicaLogin = await login(stack.postgres, fromReplica.username, fromReplica.password);
    const oldLogin = await login(stack.postgres, before.username, before.password);
    return [
      {
        label: `the ${REPLICA_REGION} replica already serves the rotated AWSCURRENT when the rotation reports success`,
        ok: replica.value === current,
      },
      {
        label: `an application in ${REPLICA_REGION} logs in with the replica's AWSCURRENT (${replicaLogin})`,
        ok: replicaLogin === 'ok',
      },
      {
        label: `old: the AWSPREVIOUS password is refused (${oldLogin === '28P01' ? 'SQLSTATE 28P01, wrong password' : oldLogin})`,
        ok: oldLogin === '28P01',
      },
    ] satisfies Check[];
  },
};

export const postgresDemos: readonly Demo[] = [single, alternating, replicated];
