import {
  ListSecretsCommand,
  type SecretListEntry,
  type SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';

/**
 * Every secret whose name starts with `prefix` (all when undefined) and that has rotation
 * turned on. ListSecrets is eventually consistent (up to minutes on AWS); DescribeSecret
 * is authoritative for one secret.
 */
export async function listRotationSecrets(
  client: SecretsManagerClient,
  prefix: string | undefined,
  signal?: AbortSignal,
  options: {
    /** Also list secrets with rotation off that still have AWSPENDING on a non-current version (status). */
    readonly withLeftoverPending?: boolean;
  } = {},
): Promise<SecretListEntry[]> {
  const found: SecretListEntry[] = [];
  let nextToken: string | undefined;
  do {
    const page = await client.send(
      new ListSecretsCommand({
        MaxResults: 100,
        ...(nextToken ? { NextToken: nextToken } : {}),
        ...(prefix ? { Filters: [{ Key: 'name', Values: [prefix] }] } : {}),
      }),
      signal ? { abortSignal: signal } : {},
    );
    for (const entry of page.SecretList ?? []) {
      if (entry.RotationEnabled !== true && !(options.withLeftoverPending && hasLeftoverPending(entry)))
        continue;
      if (prefix && !(entry.Name ?? '').startsWith(prefix)) continue;
      found.push(entry);
    }
    nextToken = page.NextToken || undefined;
  } while (nextToken);
  return found.sort((a, b) => (a.Name ?? '').localeCompare(b.Name ?? ''));
}

function hasLeftoverPending(entry: SecretListEntry): boolean {
  const stages = Object.entries(entry.SecretVersionsToStages ?? {});
  const pending = stages.find(([, labels]) => labels.includes('AWSPENDING'))?.[0];
  const current = stages.find(([, labels]) => labels.includes('AWSCURRENT'))?.[0];
  return pending !== undefined && pending !== current;
}
