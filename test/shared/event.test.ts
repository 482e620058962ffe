import { describe, expect, it } from 'vitest';
import { ErrorCode } from '../../shared/errors.ts';
import { parseRotationEvent } from '../../shared/event.ts';
import { codeOf } from '../support/error-code.ts';

const valid = {
  Step: 'createSecret',
  SecretId: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:x-AbCdEf',
  ClientRequestToken: 'a'.repeat(36),
};

describe('parseRotationEvent', () => {
  it('accepts the documented event and passes RotationToken through', () => {
    const event = parseRotationEvent({ ...valid, RotationToken: 'rt-123' });
    expect(event).toEqual({ ...valid, RotationToken: 'rt-123' });
  });

  it('ignores unknown extra fields', () => {
    const event = parseRotationEvent({ ...valid, Extra: 1, Nested: { a: 1 } });
    expect(Object.keys(event).sort()).toEqual(['ClientRequestToken', 'SecretId', 'Step']);
  });

  it.each([
    ['null', null],
    ['a string', 'createSecret'],
    ['an array', [valid]],
    ['missing Step', { SecretId: valid.SecretId, ClientRequestToken: valid.ClientRequestToken }],
    ['missing SecretId', { Step: 'createSecret', ClientRequestToken: valid.ClientRequestToken }],
    ['missing ClientRequestToken', { Step: 'createSecret', SecretId: valid.SecretId }],
    ['numeric SecretId', { ...valid, SecretId: 42 }],
    ['object token', { ...valid, ClientRequestToken: { id: 1 } }],
    ['empty SecretId', { ...valid, SecretId: '' }],
    ['non-string RotationToken', { ...valid, RotationToken: 7 }],
  ])('rejects %s with ERR_EVENT_INVALID', (_name, raw) => {
    expect(codeOf(() => parseRotationEvent(raw))).toBe(ErrorCode.ERR_EVENT_INVALID);
  });

  it.each(['create_secret', 'CreateSecret', 'rotate', ''])('rejects Step %j with a stable code', (step) => {
    const code = codeOf(() => parseRotationEvent({ ...valid, Step: step }));
    expect(code).toBe(step === '' ? ErrorCode.ERR_EVENT_INVALID : ErrorCode.ERR_STEP_UNKNOWN);
  });

  it('names every problem at once', () => {
    try {
      parseRotationEvent({ Step: 1 });
      expect.unreachable();
    } catch (error) {
      const message = (error as Error).message;
      expect(message).toContain('Step must be a string');
      expect(message).toContain('SecretId is missing');
      expect(message).toContain('ClientRequestToken is missing');
    }
  });
});
