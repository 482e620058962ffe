/**
 * Stands in for `@smithy/core/event-streams` inside the Lambda bundles (see bundle.ts,
 * `unusedSdkPartsPlugin`). The SDK imports it dynamically, and only for operations with an
 * event-stream member; none of the Secrets Manager, RDS or ElastiCache operations the
 * functions call has one. Reaching it anyway fails loudly instead of misbehaving.
 */
const unsupported = (): never => {
  throw new Error(
    '@smithy/core/event-streams is not bundled: no operation these functions call streams events',
  );
};

export class EventStreamSerde {
  constructor() {
    unsupported();
  }
}

export const eventStreamSerdeProvider = unsupported;
