import { Sensitive } from '../../shared/sensitive.ts';
import { awsCallError } from '../../shared/aws-call.ts';
import { ErrorCode } from '../../shared/errors.ts';
import {
  RESOURCE_EXISTS,
  type SecretsPort,
  type SecretVersion,
  type SecretVersionEntry,
} from '../../shared/secrets-port.ts';

/**
 * A small in-memory SecretsPort for unit tests of the core's decisions. It models
 * versions, labels and the AWSPREVIOUS hand-off only as far as the rotator needs;
 * the emulator (scripts/emulator) is the faithful model used by integration tests.
 */
export class MemorySecretsPort implements SecretsPort {
  readonly arn = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:unit-AbCdEf';
  readonly name = 'unit';
  rotationEnabled: boolean | undefined = true;
  tags: Record<string, string> = {};
  readonly versions = new Map<string, { value?: string; binary?: Uint8Array; stages: Set<string> }>();
  readonly calls: string[] = [];
  counter = 0;

  addVersion(versionId: string, value: string | undefined, stages: string[]): this {
    for (const stage of stages) for (const v of this.versions.values()) v.stages.delete(stage);
    this.versions.set(versionId, { ...(value !== undefined ? { value } : {}), stages: new Set(stages) });
    return this;
  }

  /** The tags an operator set: without the function's own progress tags. */
  userTags(): Record<string, string> {
    return Object.fromEntries(
      Object.entries(this.tags).filter(([key]) => !key.startsWith('RotationProgress:')),
    );
  }

  labels(): Record<string, string[]> {
    const out: Record<string, string[]> = {};
    for (const [id, v] of this.versions) if (v.stages.size > 0) out[id] = [...v.stages].sort();
    return out;
  }

  async describeSecret() {
    this.calls.push('DescribeSecret');
    return {
      ARN: this.arn,
      Name: this.name,
      ...(this.rotationEnabled === undefined ? {} : { RotationEnabled: this.rotationEnabled }),
      VersionIdsToStages: this.labels(),
      Tags: { ...this.tags },
    };
  }

  async getSecretValue(input: {
    VersionId?: string;
    VersionStage?: string;
  }): Promise<SecretVersion | undefined> {
    this.calls.push(`GetSecretValue:${input.VersionStage ?? ''}`);
    const entry = [...this.versions.entries()].find(
      ([id, v]) =>
        (input.VersionId === undefined || id === input.VersionId) &&
        v.stages.has(input.VersionStage ?? 'AWSCURRENT'),
    );
    if (!entry || (entry[1].value === undefined && entry[1].binary === undefined)) return undefined;
    const [VersionId, v] = entry;
    return {
      ARN: this.arn,
      VersionId,
      VersionStages: [...v.stages],
      ...(v.value !== undefined ? { SecretString: new Sensitive(v.value) } : {}),
      ...(v.binary !== undefined ? { SecretBinary: new Sensitive(v.binary) } : {}),
    };
  }

  async putSecretValue(input: {
    ClientRequestToken: string;
    SecretString: Sensitive<string>;
    VersionStages: readonly string[];
  }) {
    this.calls.push('PutSecretValue');
    const existing = this.versions.get(input.ClientRequestToken);
    if (existing?.value !== undefined && existing.value !== input.SecretString.reveal())
      throw awsCallError(
        { service: 'Secrets Manager', operation: 'PutSecretValue', code: ErrorCode.ERR_SECRETS_MANAGER },
        Object.assign(new Error('version exists'), { name: RESOURCE_EXISTS }),
      );
    for (const stage of input.VersionStages) for (const v of this.versions.values()) v.stages.delete(stage);
    this.versions.set(input.ClientRequestToken, {
      value: input.SecretString.reveal(),
      stages: new Set([...(existing?.stages ?? []), ...input.VersionStages]),
    });
  }

  async updateSecretVersionStage(input: {
    VersionStage: string;
    MoveToVersionId?: string;
    RemoveFromVersionId?: string;
  }) {
    this.calls.push(`UpdateSecretVersionStage:${input.VersionStage}`);
    if (input.RemoveFromVersionId)
      this.versions.get(input.RemoveFromVersionId)?.stages.delete(input.VersionStage);
    if (input.MoveToVersionId) {
      if (input.VersionStage === 'AWSCURRENT' && input.RemoveFromVersionId) {
        for (const v of this.versions.values()) v.stages.delete('AWSPREVIOUS');
        this.versions.get(input.RemoveFromVersionId)?.stages.add('AWSPREVIOUS');
      }
      this.versions.get(input.MoveToVersionId)?.stages.add(input.VersionStage);
    }
  }

  /** In insertion order, which is creation order here (no dates are modelled). */
  async listSecretVersionIds(): Promise<readonly SecretVersionEntry[]> {
    this.calls.push('ListSecretVersionIds');
    return [...this.versions.entries()].map(([VersionId, v]) => ({
      VersionId,
      VersionStages: [...v.stages],
    }));
  }

  async getRandomPassword(input: { PasswordLength: number }) {
    this.calls.push('GetRandomPassword');
    this.counter += 1;
    return new Sensitive(`Pw${this.counter}!`.padEnd(input.PasswordLength, 'x'));
  }

  async tagResource(_secretId: string, tags: Readonly<Record<string, string>>) {
    this.calls.push('TagResource');
    Object.assign(this.tags, tags);
  }

  async untagResource(_secretId: string, keys: readonly string[]) {
    this.calls.push('UntagResource');
    for (const key of keys) delete this.tags[key];
  }
}
