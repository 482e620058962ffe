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
      if (entry.RotationEnabled !== true) continue;
      if (prefix && !(entry.Name ?? '').startsWith(prefix)) continue;
      found.push(entry);
    }
    nextToken = page.NextToken || undefined;
  } while (nextToken);
  return found.sort((a, b) => (a.Name ?? '').localeCompare(b.Name ?? ''));
}
