import { describe, expect, it } from 'vitest';
import { functionLogs, tailCommand } from '../../../../scripts/cli/follow/function-logs.ts';

describe("the rotation function's log group", () => {
  it('is /aws/lambda/<name> in the function Region, an alias or version dropped', () => {
    expect(functionLogs('arn:aws:lambda:eu-west-1:123456789012:function:pg-rotation:live')).toEqual({
      functionName: 'pg-rotation',
      logGroup: '/aws/lambda/pg-rotation',
      region: 'eu-west-1',
    });
    expect(functionLogs(undefined)).toBeUndefined();
    expect(functionLogs('not an arn: at all')).toBeUndefined();
  });

  it('is tailed from a little before the rotation began, with the profile the operator used', () => {
    const logs = functionLogs('arn:aws:lambda:us-east-1:123456789012:function:jwt') ?? expect.fail('no logs');
    expect(tailCommand(logs, 150_000, { profile: 'prod' })).toBe(
      'aws logs tail /aws/lambda/jwt --since 4m --follow --region us-east-1 --profile prod',
    );
    expect(tailCommand(logs, 0, { profile: undefined })).toBe(
      'aws logs tail /aws/lambda/jwt --since 1m --follow --region us-east-1',
    );
  });
});
