import {
  CreateSecretCommand,
  DescribeSecretCommand,
  GetSecretValueCommand,
  ListSecretsCommand,
} from '@aws-sdk/client-secrets-manager';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createJsonServer } from '../../../scripts/emulator/server.ts';
import { clientFor, failure, raw, startHarness, type Harness } from './emulator-harness.ts';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h.close();
});

describe('wire protocol (awsJson1_1)', () => {
  it('W1/W2: POST / with X-Amz-Target secretsmanager.<Op> answers with Content-Type application/x-amz-json-1.1', async () => {
    const response = await raw(h.emu.endpoint, 'CreateSecret', {
      Name: 'w/one',
      SecretString: 's',
      ClientRequestToken: 'a'.repeat(32),
    });
    expect(response.status).toBe(200);
    expect(response.contentType).toBe('application/x-amz-json-1.1');
    expect(response.json['Name']).toBe('w/one');
  });

  it('W2: an empty response body ({}) still carries the JSON 1.1 content type', async () => {
    const response = await raw(h.emu.endpoint, 'TagResource', {
      SecretId: 'w/one',
      Tags: [{ Key: 'k', Value: 'v' }],
    });
    expect(response.status).toBe(200);
    expect(response.text).toBe('{}');
    expect(response.contentType).toBe('application/x-amz-json-1.1');
  });

  it('W3: an empty body is accepted as {} (GetRandomPassword without input)', async () => {
    const response = await raw(h.emu.endpoint, 'GetRandomPassword', '');
    expect(response.status).toBe(200);
    expect(response.json['RandomPassword']).toHaveLength(32);
  });

  it('W4/W5: errors are {"__type": <shape>, "Message": ...} with HTTP 400 for modelled client errors', async () => {
    const response = await raw(h.emu.endpoint, 'DescribeSecret', { SecretId: 'w/missing' });
    expect(response.status).toBe(400);
    expect(response.contentType).toBe('application/x-amz-json-1.1');
    expect(response.json).toEqual({
      __type: 'ResourceNotFoundException',
      Message: "Secrets Manager can't find the specified secret.",
    });
  });

  it('W4: the SDK maps the error shape to its typed exception with the message', async () => {
    const error = await failure(h.sm.send(new GetSecretValueCommand({ SecretId: 'w/missing' })));
    expect(error).toEqual({
      name: 'ResourceNotFoundException',
      message: "Secrets Manager can't find the specified secret.",
      status: 400,
    });
  });

  it('W8: an unknown operation gets InvalidAction (400) in the documented error shape', async () => {
    const response = await raw(h.emu.endpoint, 'StealSecret', {});
    expect(response.status).toBe(400);
    expect(response.json['__type']).toBe('InvalidAction');
    expect(String(response.json['Message'])).toContain('StealSecret');
    const noTarget = await raw(h.emu.endpoint, undefined, {});
    expect(noTarget.json['__type']).toBe('InvalidAction');
  });

  it('W3: a malformed body gets SerializationException (400) and changes nothing', async () => {
    const response = await raw(h.emu.endpoint, 'CreateSecret', '{"Name": "w/bad", ');
    expect(response.status).toBe(400);
    expect(response.json['__type']).toBe('SerializationException');
    const notObject = await raw(h.emu.endpoint, 'CreateSecret', '["w/bad"]');
    expect(notObject.json['__type']).toBe('SerializationException');
    const wrongType = await raw(h.emu.endpoint, 'CreateSecret', {
      Name: 5,
      ClientRequestToken: 'b'.repeat(32),
    });
    expect(wrongType.json['__type']).toBe('SerializationException');
    expect((await failure(h.sm.send(new DescribeSecretCommand({ SecretId: 'w/bad' })))).name).toBe(
      'ResourceNotFoundException',
    );
  });

  it('W3: a missing required member is ValidationException naming the member', async () => {
    const response = await raw(h.emu.endpoint, 'DescribeSecret', {});
    expect(response.status).toBe(400);
    expect(response.json).toEqual({
      __type: 'ValidationException',
      Message:
        "1 validation error detected: Value null at 'secretId' failed to satisfy constraint: Member must not be null",
    });
  });

  it('W6: timestamps are epoch seconds (fractional numbers) that the SDK reads as Dates', async () => {
    const response = await raw(h.emu.endpoint, 'DescribeSecret', { SecretId: 'w/one' });
    const created = response.json['CreatedDate'];
    expect(typeof created).toBe('number');
    expect(Math.abs((created as number) - Date.now() / 1000)).toBeLessThan(60);
    const described = await h.sm.send(new DescribeSecretCommand({ SecretId: 'w/one' }));
    expect(described.CreatedDate).toBeInstanceOf(Date);
    expect(described.CreatedDate?.getTime()).toBeCloseTo((created as number) * 1000, -1);
  });

  it('W7: SecretBinary travels as base64 and round-trips bytes through the SDK', async () => {
    const bytes = new Uint8Array([0, 1, 2, 250, 255]);
    await h.sm.send(new CreateSecretCommand({ Name: 'w/binary', SecretBinary: bytes }));
    const rawRead = await raw(h.emu.endpoint, 'GetSecretValue', { SecretId: 'w/binary' });
    expect(rawRead.json['SecretBinary']).toBe(Buffer.from(bytes).toString('base64'));
    const read = await h.sm.send(new GetSecretValueCommand({ SecretId: 'w/binary' }));
    expect([...(read.SecretBinary ?? [])]).toEqual([...bytes]);
    expect(read.SecretString).toBeUndefined();
  });

  it('W9: the region comes from the SigV4 Credential scope; secrets are regional', async () => {
    const west = clientFor(h.emu.endpoint, 'eu-west-1');
    const created = await west.send(new CreateSecretCommand({ Name: 'w/regional', SecretString: 'x' }));
    expect(created.ARN).toMatch(
      /^arn:aws:secretsmanager:eu-west-1:123456789012:secret:w\/regional-[A-Za-z0-9]{6}$/,
    );
    expect((await failure(h.sm.send(new DescribeSecretCommand({ SecretId: 'w/regional' })))).name).toBe(
      'ResourceNotFoundException',
    );
    const listed = await west.send(new ListSecretsCommand({}));
    expect(listed.SecretList?.map((entry) => entry.Name)).toEqual(['w/regional']);
    west.destroy();
  });

  it('W10: the SDK fills ClientRequestToken; a raw request without one is rejected per operation', async () => {
    const created = await h.sm.send(new CreateSecretCommand({ Name: 'w/token', SecretString: 'x' }));
    expect(created.VersionId).toMatch(/^[0-9a-f-]{36}$/);
    const message = 'You must provide a ClientRequestToken value. We recommend a UUID-type value.';
    for (const [operation, body, type] of [
      ['CreateSecret', { Name: 'w/no-token', SecretString: 'x' }, 'InvalidRequestException'],
      ['PutSecretValue', { SecretId: 'w/token', SecretString: 'y' }, 'InvalidRequestException'],
      ['UpdateSecret', { SecretId: 'w/token', SecretString: 'y' }, 'InvalidRequestException'],
      [
        'RotateSecret',
        { SecretId: 'w/token', RotationLambdaARN: 'arn:aws:lambda:us-east-1:123456789012:function:x' },
        'InvalidParameterException',
      ],
    ] as const) {
      const response = await raw(h.emu.endpoint, operation, body);
      expect(response.json, operation).toEqual({ __type: type, Message: message });
    }
    expect((await failure(h.sm.send(new DescribeSecretCommand({ SecretId: 'w/no-token' })))).name).toBe(
      'ResourceNotFoundException',
    );
  });

  it('W11: ClientRequestToken and VersionId must be 32-64 characters (ValidationException)', async () => {
    const short = await raw(h.emu.endpoint, 'PutSecretValue', {
      SecretId: 'w/token',
      SecretString: 'y',
      ClientRequestToken: 'short',
    });
    expect(short.json['__type']).toBe('ValidationException');
    const long = await raw(h.emu.endpoint, 'GetSecretValue', {
      SecretId: 'w/token',
      VersionId: 'v'.repeat(65),
    });
    expect(long.json['__type']).toBe('ValidationException');
  });
});

describe('unexpected failures', () => {
  it('W5: an internal failure is InternalServiceError with HTTP 500 and a message that reveals nothing', async () => {
    const reported: unknown[] = [];
    const server = createJsonServer({
      operations: {
        DescribeSecret: () => {
          throw new Error('boom with s3cr3t');
        },
      },
      defaultRegion: 'us-east-1',
      extensions: () => undefined,
      onInternalError: (error) => reported.push(error),
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    try {
      const response = await raw(
        `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
        'DescribeSecret',
        { SecretId: 'x' },
      );
      expect(response.status).toBe(500);
      expect(response.json).toEqual({
        __type: 'InternalServiceError',
        Message: 'An error occurred on the server side.',
      });
      expect(response.text).not.toContain('s3cr3t');
      expect(reported).toHaveLength(1);
    } finally {
      server.close();
    }
  });
});

describe('identifiers', () => {
  it('I1: SecretId accepts the name, the full ARN and the ARN without its suffix', async () => {
    const created = await h.sm.send(new CreateSecretCommand({ Name: 'i/ident', SecretString: 'x' }));
    const arn = created.ARN as string;
    for (const id of ['i/ident', arn, arn.slice(0, -7)]) {
      const described = await h.sm.send(new DescribeSecretCommand({ SecretId: id }));
      expect(described.ARN, id).toBe(arn);
    }
  });

  it('I2/C3: the ARN ends in -<6 random chars> and a re-created secret gets a different suffix', async () => {
    const first = await h.sm.send(new CreateSecretCommand({ Name: 'i/recreate', SecretString: 'x' }));
    expect(first.ARN).toMatch(
      /^arn:aws:secretsmanager:us-east-1:123456789012:secret:i\/recreate-[A-Za-z0-9]{6}$/,
    );
    await raw(h.emu.endpoint, 'DeleteSecret', { SecretId: 'i/recreate', ForceDeleteWithoutRecovery: true });
    const second = await h.sm.send(new CreateSecretCommand({ Name: 'i/recreate', SecretString: 'x' }));
    expect(second.ARN).not.toBe(first.ARN);
  });

  it('I3: an invalid name is ValidationException with AWS message; the allowed characters work', async () => {
    const error = await failure(h.sm.send(new CreateSecretCommand({ Name: 'bad name!', SecretString: 'x' })));
    expect(error).toEqual({
      name: 'ValidationException',
      message:
        'Invalid name. Must be a valid name containing alphanumeric characters, or any of the following: -/_+=.@!',
      status: 400,
    });
    const ok = await h.sm.send(new CreateSecretCommand({ Name: 'i/A-z_0+9=.@', SecretString: 'x' }));
    expect(ok.Name).toBe('i/A-z_0+9=.@');
    const tooLong = await failure(
      h.sm.send(new CreateSecretCommand({ Name: 'n'.repeat(513), SecretString: 'x' })),
    );
    expect(tooLong.name).toBe('ValidationException');
  });
});
