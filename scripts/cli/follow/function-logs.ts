/**
 * Where a rotation function's log lines are: Lambda writes to the log group
 * `/aws/lambda/<function name>` in the function's own Region unless its LoggingConfig names
 * another (which only lambda:GetFunctionConfiguration can tell; the CLI does not ask).
 * The function logs one line per failed step with `errorCode`, step and secret ARN, never
 * a value, so the tail below is where a step's message is.
 */

export interface FunctionLogs {
  readonly functionName: string;
  readonly logGroup: string;
  readonly region: string | undefined;
}

/** The log group of the function a RotationLambdaARN names (an alias or version qualifier dropped). */
export function functionLogs(rotationLambdaArn: string | undefined): FunctionLogs | undefined {
  if (rotationLambdaArn === undefined) return undefined;
  const match = /^arn:[^:]+:lambda:([^:]*):[^:]*:function:([^:]+)/.exec(rotationLambdaArn);
  const name = match?.[2] ?? (/^[A-Za-z0-9_-]+$/.test(rotationLambdaArn) ? rotationLambdaArn : undefined);
  if (name === undefined) return undefined;
  const region = match?.[1] ? match[1] : undefined;
  return { functionName: name, logGroup: `/aws/lambda/${name}`, region };
}

/** `aws logs tail <group> --since <n>m --follow [--region r] [--profile p]`, covering the rotation so far. */
export function tailCommand(
  logs: FunctionLogs,
  sinceMs: number,
  settings: { readonly profile?: string | undefined },
): string {
  const minutes = Math.max(1, Math.ceil(sinceMs / 60_000) + 1);
  return [
    `aws logs tail ${logs.logGroup} --since ${minutes}m --follow`,
    ...(logs.region ? [`--region ${logs.region}`] : []),
    ...(settings.profile ? [`--profile ${settings.profile}`] : []),
  ].join(' ');
}
