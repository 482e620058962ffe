/**
 * Stands in for `@aws-sdk/credential-provider-node` inside the Lambda bundles (see
 * bundle.ts, `lambdaCredentialsPlugin`). Lambda hands a function its role's credentials
 * in environment variables (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN),
 * and container-style runtimes through AWS_CONTAINER_CREDENTIALS_FULL_URI; profiles, SSO,
 * web identity and credential processes never apply there. The full default chain pulls
 * in the STS, SSO and sign-in clients (about 115 KB minified), so the bundles use this
 * two-link chain instead. Source runs (tests, the emulator) keep the SDK's full chain.
 */
import { fromEnv } from '@aws-sdk/credential-provider-env';
import { fromHttp } from '@aws-sdk/credential-provider-http';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider, Logger } from '@smithy/types';

/** What the SDK clients pass to `defaultProvider` (only the logger is used here). */
export interface LambdaCredentialsInit {
  readonly logger?: Logger;
}

/** Environment credentials first (what Lambda sets), then the container endpoint. Both
 *  links read their own variables, as the SDK's providers do. */
export const defaultProvider =
  (init: LambdaCredentialsInit = {}): AwsCredentialIdentityProvider =>
  async (): Promise<AwsCredentialIdentity> => {
    try {
      return await fromEnv({ logger: init.logger })();
    } catch {
      try {
        return await fromHttp({ logger: init.logger })();
      } catch {
        throw Object.assign(
          new Error(
            'No AWS credentials: expected AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (set by Lambda) or AWS_CONTAINER_CREDENTIALS_FULL_URI',
          ),
          {
            name: 'CredentialsProviderError',
            tryNextLink: false,
          },
        );
      }
    }
  };

/** Same contract as the SDK's: credentials within five minutes of expiring are refreshed. */
export const credentialsWillNeedRefresh = (credentials?: AwsCredentialIdentity): boolean =>
  credentials?.expiration !== undefined;
export const credentialsTreatedAsExpired = (credentials?: AwsCredentialIdentity): boolean =>
  credentials?.expiration !== undefined && credentials.expiration.getTime() - Date.now() < 300_000;
