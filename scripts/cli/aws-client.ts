import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { Env } from '../../shared/config.ts';
import { UsageError } from './exit-code.ts';

/** Where the CLI talks to and how: resolved once from flags and the environment. */
export interface AwsSettings {
  /** A named profile (--profile), or undefined for AWS_PROFILE / the default chain. */
  readonly profile: string | undefined;
  /** Explicit endpoint (flag or the SDK's endpoint variables), or undefined for AWS itself. */
  readonly endpoint: string | undefined;
  /** Explicit region, or undefined to let the SDK chain (profile config) decide. */
  readonly region: string | undefined;
  /** Loopback endpoint: the local emulator. Dummy credentials when none are configured. */
  readonly local: boolean;
}

export function resolveAwsSettings(
  flags: {
    readonly profile?: string | undefined;
    readonly region?: string | undefined;
    readonly endpointUrl?: string | undefined;
  },
  env: Env,
): AwsSettings {
  if (flags.profile !== undefined && flags.profile.trim() === '')
    throw new UsageError('--profile needs a profile name');
  const endpoint =
    flags.endpointUrl ??
    nonEmpty(env['AWS_ENDPOINT_URL_SECRETS_MANAGER']) ??
    nonEmpty(env['AWS_ENDPOINT_URL']);
  let local = false;
  if (endpoint !== undefined) {
    let url: URL;
    try {
      url = new URL(endpoint);
    } catch {
      throw new UsageError(`--endpoint-url must be an http(s) URL, got "${endpoint}"`);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:')
      throw new UsageError(`--endpoint-url must be an http(s) URL, got "${endpoint}"`);
    local = ['127.0.0.1', 'localhost', '[::1]', '::1'].includes(url.hostname);
  }
  const region =
    flags.region ??
    nonEmpty(env['AWS_REGION']) ??
    nonEmpty(env['AWS_DEFAULT_REGION']) ??
    (local ? 'us-east-1' : undefined);
  return { profile: flags.profile?.trim(), endpoint: endpoint?.replace(/\/+$/, ''), region, local };
}

/**
 * The SDK client with the standard credential chain. Against a loopback endpoint with no
 * credentials configured in the environment, it signs with dummy keys (the emulator
 * accepts any), so `rotation status --endpoint-url http://127.0.0.1:4566` just works.
 */
export function createCliSecretsClient(settings: AwsSettings, env: Env): SecretsManagerClient {
  const haveCredentials =
    settings.profile !== undefined ||
    nonEmpty(env['AWS_ACCESS_KEY_ID']) !== undefined ||
    nonEmpty(env['AWS_PROFILE']) !== undefined;
  return new SecretsManagerClient({
    // The profile's credentials (SSO, assumed role, keys) and its region, as the AWS CLI reads them.
    ...(settings.profile ? { profile: settings.profile } : {}),
    ...(settings.endpoint ? { endpoint: settings.endpoint } : {}),
    ...(settings.region ? { region: settings.region } : {}),
    ...(settings.local && !haveCredentials
      ? { credentials: { accessKeyId: 'local', secretAccessKey: 'local' } }
      : {}),
    maxAttempts: 3,
  });
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}

/** An AWS error, described by name and message (AWS messages carry identifiers, not secret values). */
export function describeAwsError(error: unknown): { readonly name: string; readonly message: string } {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    if (typeof code === 'string' && /^E[A-Z]+$/.test(code))
      return { name: code, message: `cannot reach the Secrets Manager endpoint (${error.message})` };
    if (error.name === 'CredentialsProviderError')
      return {
        name: error.name,
        message: `${error.message} (configure credentials: AWS_PROFILE, aws sso login, or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY)`,
      };
    if (/region is missing/i.test(error.message))
      return { name: error.name, message: `${error.message} (pass --region or set AWS_REGION)` };
    return { name: error.name, message: error.message };
  }
  return { name: typeof error, message: String(error) };
}

/** Secrets Manager's words for a blocked rotation. */
export function isPreviousRotationIncomplete(error: unknown): boolean {
  return error instanceof Error && /previous rotation isn.t complete/i.test(error.message);
}
