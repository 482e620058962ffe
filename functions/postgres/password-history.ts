import { isRotationError } from '../../shared/errors.ts';
import type { Log } from '../../shared/observability.ts';
import type { SecretsPort, SecretVersionEntry } from '../../shared/secrets-port.ts';
import type { Sensitive } from '../../shared/sensitive.ts';
import { PASSWORD_REUSE_DEPTH } from './new-password.ts';
import { parsePostgresSecret } from './postgres-secret.ts';

/** At most this many past versions are read (GetSecretValue by VersionId) per rotation. */
export const HISTORY_SCAN_LIMIT = 10;

export interface PasswordHistoryQuery {
  readonly secrets: SecretsPort;
  readonly secretId: string;
  /** The login whose passwords count: the user itself, or the pending login in alternating mode. */
  readonly username: string;
  /** The labelled passwords of that login already read (AWSCURRENT, AWSPREVIOUS), newest first; always kept. */
  readonly labelled: readonly (Sensitive<string> | undefined)[];
  /** Versions not to read: the one being created and the labelled ones above. */
  readonly skipVersionIds: readonly (string | undefined)[];
  readonly logger: Log;
}

function distinct(values: readonly (Sensitive<string> | undefined)[]): Sensitive<string>[] {
  const out: Sensitive<string>[] = [];
  for (const value of values)
    if (value !== undefined && !out.some((seen) => seen.equals(value))) out.push(value);
  return out;
}

/** Newest first by CreatedDate; without dates (or on a tie) the later listed is taken as the newer. */
function newestFirst(entries: readonly SecretVersionEntry[]): SecretVersionEntry[] {
  return entries
    .map((entry, index) => ({ entry, index, time: entry.CreatedDate?.getTime() ?? 0 }))
    .sort((a, b) => b.time - a.time || b.index - a.index)
    .map(({ entry }) => entry);
}

async function readHistory(query: PasswordHistoryQuery, found: Sensitive<string>[]): Promise<void> {
  const skip = new Set(query.skipVersionIds.filter((id): id is string => id !== undefined));
  const entries = newestFirst(await query.secrets.listSecretVersionIds(query.secretId)).filter(
    (entry) => !skip.has(entry.VersionId),
  );
  for (const entry of entries.slice(0, HISTORY_SCAN_LIMIT)) {
    if (distinct(found).length >= PASSWORD_REUSE_DEPTH) return;
    const version = await query.secrets.getSecretValue({
      SecretId: query.secretId,
      VersionId: entry.VersionId,
    });
    if (version?.SecretString === undefined) continue;
    try {
      const secret = parsePostgresSecret(version.SecretString, {
        versionId: entry.VersionId,
        stage: entry.VersionStages[0] ?? 'deprecated',
      });
      if (secret.username === query.username) found.push(secret.password);
    } catch {
      query.logger.debug('Password history: skipping a version that does not parse', {
        versionId: entry.VersionId,
      });
    }
  }
}

/**
 * The last PASSWORD_REUSE_DEPTH distinct passwords of a login (PCI DSS 8.3.7): the labelled
 * ones, then the newest other versions of the secret, deprecated ones included, that held
 * the same username. When the versions cannot be listed or read (no
 * secretsmanager:ListSecretVersionIds, say), rotation goes on with the labelled ones and a
 * warning names the error.
 */
export async function recentPasswordsOf(query: PasswordHistoryQuery): Promise<Sensitive<string>[]> {
  const found = distinct(query.labelled);
  try {
    await readHistory(query, found);
  } catch (error) {
    const errorName = isRotationError(error)
      ? String(error.details['awsError'] ?? error.code)
      : error instanceof Error
        ? error.name
        : 'Error';
    query.logger.warn(
      'Could not read the password history of the secret; checking the new password against the labelled versions only',
      {
        secretId: query.secretId,
        user: query.username,
        error: errorName,
      },
    );
  }
  return distinct(found).slice(0, PASSWORD_REUSE_DEPTH);
}
