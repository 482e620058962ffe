/**
 * Stands in for `bowser` inside the Lambda bundles (see bundle.ts, `unusedSdkPartsPlugin`).
 * The SDK imports bowser dynamically from its browser user-agent provider only, which a
 * browser reaches and Node never does (Node uses util-user-agent-node). The parser answers
 * nothing, as bowser would without a `window`.
 */
export const parse = (): undefined => undefined;
export default { parse };
