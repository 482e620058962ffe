import type { Input } from './input.ts';
import { compact, describeFields, seconds, type SecretRecord } from './secret-record.ts';
import { decodeOffset, encodeOffset } from './pagination.ts';
import { ServiceError, ServiceErrorType, validation } from './service-error.ts';

const FILTER_KEYS = [
  'description',
  'name',
  'tag-key',
  'tag-value',
  'primary-region',
  'owning-service',
  'all',
] as const;
type FilterKey = (typeof FILTER_KEYS)[number];
const VALUE = /^!?[a-zA-Z0-9 :_@/+=.\-!]*$/;
const SORT_BY = ['created-date', 'last-accessed-date', 'last-changed-date', 'name'] as const;

interface Filter {
  readonly key: FilterKey;
  readonly values: readonly string[];
}

/** LS2: which strings a filter key looks at. */
function attributes(secret: SecretRecord, key: FilterKey): string[] {
  switch (key) {
    case 'description':
      return secret.description === undefined ? [] : [secret.description];
    case 'name':
      return [secret.name];
    case 'tag-key':
      return (secret.tags ?? []).map((tag) => tag.Key);
    case 'tag-value':
      return (secret.tags ?? []).map((tag) => tag.Value);
    case 'primary-region':
    case 'owning-service':
      return [];
    case 'all':
      return [
        secret.name,
        secret.description ?? '',
        ...(secret.tags ?? []).flatMap((tag) => [tag.Key, tag.Value]),
      ];
  }
}

/**
 * LS3: the words AWS searches in. Text splits at white space and at the characters a name
 * may hold besides letters and digits (`/ _ + = . @ -`, and `:`), and again before an
 * upper-case letter that begins a lower-case run: `SecretOne` is `Secret` + `One`,
 * `COMPANYthings` is `COMPAN` + `Ythings`, `COMPANY` stays one word.
 */
export function searchWords(text: string): string[] {
  return text
    .split(/[\s/_+=.@:-]+/)
    .flatMap((piece) => piece.split(/(?<=.)(?=[A-Z][a-z])/))
    .filter((word) => word.length > 0);
}

/**
 * One value against one secret, `!` negating it. `name`, `tag-key`, `tag-value`: a
 * case-sensitive prefix of the whole attribute. `description` and `all` (LS3): every word of
 * the value starts, without regard to case, some word of the description (or, for `all`, of
 * the name, description, tag keys and tag values); the inside of a word never matches.
 */
function matches(secret: SecretRecord, key: FilterKey, rawValue: string): boolean {
  const negate = rawValue.startsWith('!');
  const value = negate ? rawValue.slice(1) : rawValue;
  const candidates = attributes(secret, key);
  let hit: boolean;
  if (key === 'description' || key === 'all') {
    const pool = candidates.flatMap(searchWords).map((word) => word.toLowerCase());
    const wanted = searchWords(value).map((word) => word.toLowerCase());
    hit = wanted.length > 0 && wanted.every((word) => pool.some((text) => text.startsWith(word)));
  } else {
    hit = candidates.some((text) => text.startsWith(value));
  }
  return negate ? !hit : hit;
}

function readFilters(input: Input): Filter[] {
  const list = input.objectList('Filters') ?? [];
  if (list.length > 10)
    throw validation('filters', 'Member must have length less than or equal to 10', `[${list.length} items]`);
  return list.map((filter, index) => {
    const key = filter.string('Key');
    if (key === undefined || !(FILTER_KEYS as readonly string[]).includes(key)) {
      throw validation(
        `filters.${index + 1}.member.key`,
        `Member must satisfy enum value set: [${FILTER_KEYS.join(', ')}]`,
        key ?? null,
      );
    }
    const values = filter.stringList('Values', { min: 1, max: 10, item: { max: 512, pattern: VALUE } }) ?? [];
    if (values.length === 0)
      throw new ServiceError(
        ServiceErrorType.InvalidParameterException,
        `Filter ${key} needs at least one value.`,
      );
    return { key: key as FilterKey, values };
  });
}

function sortValue(secret: SecretRecord, sortBy: string): number | string {
  switch (sortBy) {
    case 'name':
      return secret.name;
    case 'last-accessed-date':
      return secret.lastAccessedMs ?? 0;
    case 'last-changed-date':
      return secret.lastChangedMs;
    default:
      return secret.createdMs;
  }
}

/** ListSecrets (LS1, LS2): filters AND together, values within a filter OR together. */
export function listSecrets(secrets: readonly SecretRecord[], input: Input): Record<string, unknown> {
  const maxResults = input.integer('MaxResults', { min: 1, max: 100 }) ?? 100;
  const nextToken = input.string('NextToken', { min: 1, max: 4096 });
  const includePlanned = input.boolean('IncludePlannedDeletion') ?? false;
  const sortOrder = input.string('SortOrder') ?? 'asc';
  if (sortOrder !== 'asc' && sortOrder !== 'desc')
    throw validation('sortOrder', 'Member must satisfy enum value set: [asc, desc]', sortOrder);
  const sortBy = input.string('SortBy') ?? 'created-date';
  if (!(SORT_BY as readonly string[]).includes(sortBy))
    throw validation('sortBy', `Member must satisfy enum value set: [${SORT_BY.join(', ')}]`, sortBy);
  const filters = readFilters(input);
  const selected = secrets
    .filter((secret) => includePlanned || secret.deletionMs === undefined)
    .filter((secret) =>
      filters.every((filter) => filter.values.some((value) => matches(secret, filter.key, value))),
    )
    .sort((a, b) => {
      const left = sortValue(a, sortBy);
      const right = sortValue(b, sortBy);
      const order = left < right ? -1 : left > right ? 1 : a.arn.localeCompare(b.arn);
      return sortOrder === 'asc' ? order : -order;
    });
  const start = decodeOffset(nextToken, selected.length);
  const page = selected.slice(start, start + maxResults);
  return compact({
    SecretList: page.map((secret) => {
      const labelled = secret.versions.filter((version) => version.stages.length > 0);
      return compact({
        ...describeFields(secret),
        SecretVersionsToStages:
          labelled.length > 0
            ? Object.fromEntries(labelled.map((version) => [version.versionId, [...version.stages]]))
            : undefined,
      });
    }),
    NextToken: start + maxResults < selected.length ? encodeOffset(start + maxResults) : undefined,
  });
}

/** ListSecretVersionIds (L1, L2): deprecated versions only with IncludeDeprecated, and then without VersionStages. */
export function listSecretVersionIds(
  input: Input,
  requireSecret: () => SecretRecord,
): Record<string, unknown> {
  const maxResults = input.integer('MaxResults', { min: 1, max: 100 }) ?? 100;
  const nextToken = input.string('NextToken', { min: 1, max: 4096 });
  const includeDeprecated = input.boolean('IncludeDeprecated') ?? false;
  const secret = requireSecret();
  const versions = secret.versions.filter((version) => includeDeprecated || version.stages.length > 0);
  const start = decodeOffset(nextToken, versions.length);
  const page = versions.slice(start, start + maxResults);
  return compact({
    ARN: secret.arn,
    Name: secret.name,
    Versions: page.map((version) =>
      compact({
        VersionId: version.versionId,
        VersionStages: version.stages.length > 0 ? [...version.stages] : undefined,
        LastAccessedDate: seconds(version.lastAccessedMs),
        CreatedDate: seconds(version.createdMs),
        KmsKeyIds: [secret.kmsKeyId ?? 'DefaultEncryptionKey'],
      }),
    ),
    NextToken: start + maxResults < versions.length ? encodeOffset(start + maxResults) : undefined,
  });
}
