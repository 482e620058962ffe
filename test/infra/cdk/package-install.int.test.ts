import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFile, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { npmPack } from '../../../scripts/package/npm-pack.ts';
import { stageCdkPackage } from '../../../scripts/package/package-cdk.ts';
import type { CfnTemplate, PolicyStatement } from '../cfn-template.ts';
import { appLockfile } from './app-lockfile.ts';

/**
 * The construct library from a CDK user's seat: `npm run package` packs it, a fresh app
 * with nothing but aws-cdk-lib and constructs installs the tarball (npm ci from the
 * cache (--prefer-offline: the registry only for what the cache lacks), the versions this repository pins: the lowest the peer range allows), plain tsc
 * compiles the quickstart app of the docs with the strictness of `cdk init`, node
 * synthesises it, and the template is read back.
 */
const rootDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const QUICKSTART = path.join(rootDir, 'infra/cdk/example/quickstart/app.ts');
const tsc = path.join(rootDir, 'node_modules/typescript/bin/tsc');

function run(
  file: string,
  args: readonly string[],
  cwd: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(file, args, { cwd, env, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

/** Like `cdk init app --language typescript` writes it (CommonJS app, strict, no skipLibCheck). */
const APP_TSCONFIG = {
  compilerOptions: {
    target: 'ES2022',
    module: 'NodeNext',
    moduleResolution: 'NodeNext',
    lib: ['es2022'],
    declaration: true,
    strict: true,
    noImplicitAny: true,
    strictNullChecks: true,
    noImplicitThis: true,
    alwaysStrict: true,
    noImplicitReturns: true,
    noFallthroughCasesInSwitch: false,
    inlineSourceMap: true,
    inlineSources: true,
    experimentalDecorators: true,
    strictPropertyInitialization: false,
    types: ['node'],
  },
  exclude: ['node_modules', 'cdk.out'],
};

let workDir: string;
let appDir: string;
let stageDir: string;
let installLog: string;
let packed: Awaited<ReturnType<typeof npmPack>>;
let compiled: { code: number; stdout: string; stderr: string };
let synthesised: { code: number; stdout: string; stderr: string };
let template: CfnTemplate;

const sha256 = async (file: string): Promise<string> =>
  createHash('sha256')
    .update(await readFile(file))
    .digest('hex');

beforeAll(async () => {
  workDir = await mkdtemp(path.join(tmpdir(), 'cdk-package-'));
  stageDir = path.join(workDir, 'stage');
  appDir = path.join(workDir, 'app');
  await stageCdkPackage(rootDir, stageDir);
  packed = await npmPack(stageDir, workDir);
  const manifest = JSON.parse(await readFile(path.join(stageDir, 'package.json'), 'utf8')) as {
    version: string;
  };
  await mkdir(appDir);
  const { lock, dependencies } = await appLockfile(rootDir, ['aws-cdk-lib', 'constructs', '@types/node'], {
    'sm-rotation-cdk': {
      file: path.join(workDir, packed.filename),
      integrity: packed.integrity,
      version: manifest.version,
    },
  });
  await writeFile(
    path.join(appDir, 'package.json'),
    JSON.stringify({ name: 'app', version: '0.0.0', private: true, dependencies }, null, 2),
  );
  await writeFile(path.join(appDir, 'package-lock.json'), JSON.stringify(lock, null, 2));
  await writeFile(path.join(appDir, 'tsconfig.json'), JSON.stringify(APP_TSCONFIG, null, 2));
  await copyFile(QUICKSTART, path.join(appDir, 'app.ts'));
  const installed = await run(
    'npm',
    ['ci', '--prefer-offline', '--ignore-scripts', '--no-audit', '--no-fund', '--loglevel=error'],
    appDir,
  );
  installLog = installed.stdout + installed.stderr;
  if (installed.code !== 0) throw new Error(`npm ci failed in the fresh app:\n${installLog}`);
  compiled = await run(process.execPath, [tsc, '-p', appDir], appDir);
  synthesised = await run(process.execPath, ['app.js'], appDir, {
    ...process.env,
    CDK_OUTDIR: path.join(appDir, 'cdk.out'),
    CDK_DEFAULT_ACCOUNT: '123456789012',
    CDK_DEFAULT_REGION: 'eu-west-1',
  });
  if (synthesised.code === 0)
    template = JSON.parse(
      await readFile(path.join(appDir, 'cdk.out/RotationQuickstart.template.json'), 'utf8'),
    ) as CfnTemplate;
}, 600_000);

afterAll(async () => {
  if (workDir) await rm(workDir, { recursive: true, force: true });
});

const ofType = (type: string): [string, CfnTemplate['Resources'][string]][] =>
  Object.entries(template.Resources).filter(([, resource]) => resource.Type === type);

const props = (id: string): Record<string, unknown> =>
  (template.Resources[id]?.Properties ?? {}) as Record<string, unknown>;

/** The one resource of `type` whose logical id starts with `prefix`. */
function only(type: string, prefix: string): string {
  const ids = ofType(type)
    .map(([id]) => id)
    .filter((id) => id.startsWith(prefix));
  expect(ids, `${type} ${prefix}*`).toHaveLength(1);
  return ids[0] as string;
}

describe('the packed CDK library in a fresh app', () => {
  it('installs with only aws-cdk-lib and constructs: no drivers, one aws-cdk-lib', async () => {
    const installed = JSON.parse(
      await readFile(path.join(appDir, 'node_modules/sm-rotation-cdk/package.json'), 'utf8'),
    ) as { dependencies?: object; peerDependencies: Record<string, string> };
    expect(installed.dependencies).toBeUndefined();
    expect(installed.peerDependencies).toEqual({ 'aws-cdk-lib': '>=2.276.0 <3.0.0', constructs: '^10.8.1' });
    const top = (await readdir(path.join(appDir, 'node_modules'))).filter((name) => !name.startsWith('.'));
    for (const driver of ['pg', 'ioredis', '@aws-sdk', 'jose', 'tsx']) expect(top).not.toContain(driver);
    await expect(readdir(path.join(appDir, 'node_modules/sm-rotation-cdk/node_modules'))).rejects.toThrow();
    expect(
      (await readdir(path.join(appDir, 'node_modules/sm-rotation-cdk'), { recursive: true })).sort(),
    ).toEqual(
      expect.arrayContaining([
        'assets/jwt.zip',
        'assets/postgres.zip',
        'assets/redis.zip',
        'lib/index.d.ts',
        'lib/index.js',
      ]),
    );
  });

  it('compiles the quickstart app with plain tsc, cdk init settings, no skipLibCheck', () => {
    expect(compiled.stdout + compiled.stderr).toBe('');
    expect(compiled.code).toBe(0);
  });

  it('synthesises, deploying the zips shipped in the package', async () => {
    expect(synthesised.stderr).toBe('');
    expect(synthesised.code).toBe(0);
    const functions = ofType('AWS::Lambda::Function');
    const postgres = only('AWS::Lambda::Function', 'AppUserRotation');
    expect(props(postgres)).toMatchObject({
      Runtime: 'nodejs22.x',
      Handler: 'index.handler',
      Architectures: ['arm64'],
      VpcConfig: { SubnetIds: expect.any(Array), SecurityGroupIds: expect.any(Array) },
    });
    const variables = (props(postgres)['Environment'] as { Variables: Record<string, string> }).Variables;
    expect(variables).toMatchObject({
      PG_ROTATION_STRATEGY: 'alternating-users',
      // The DatabaseSecret's own rule, passed on so a rotated password obeys it too.
      EXCLUDE_CHARACTERS: ':/@"\'\\%',
    });
    const jwt = only('AWS::Lambda::Function', 'JwtSigningKeyRotation');
    expect(props(jwt)['VpcConfig']).toBeUndefined();
    expect(functions.map(([id]) => id).filter((id) => id.includes('Rotation'))).toHaveLength(2);
    // The asset CDK staged is the very zip the package ships.
    const s3Key = (props(postgres)['Code'] as { S3Key: string }).S3Key;
    expect(s3Key).toMatch(/^[0-9a-f]{64}\.zip$/);
    expect(await sha256(path.join(appDir, 'cdk.out', `asset.${s3Key}`))).toBe(
      await sha256(path.join(appDir, 'node_modules/sm-rotation-cdk/assets/postgres.zip')),
    );
  });

  it('schedules the rotation on the attached secret, after the function may run it', () => {
    const schedule = only(
      'AWS::SecretsManager::RotationSchedule',
      'AppUserAttachmentRotationFunctionSchedule',
    );
    const attachment = only('AWS::SecretsManager::SecretTargetAttachment', 'AppUser');
    const postgres = only('AWS::Lambda::Function', 'AppUserRotation');
    expect(props(schedule)).toEqual({
      SecretId: { Ref: attachment },
      RotationLambdaARN: { 'Fn::GetAtt': [postgres, 'Arn'] },
      RotateImmediatelyOnUpdate: false,
      RotationRules: { ScheduleExpression: 'cron(0 3 ? * SUN *)', Duration: '3h' },
    });
    const dependsOn = template.Resources[schedule]?.DependsOn as string[];
    expect(dependsOn).toEqual(
      expect.arrayContaining([
        only('AWS::IAM::Policy', 'AppUserRotationRotationPolicy'),
        only('AWS::Lambda::Permission', 'AppUserRotation'),
      ]),
    );
  });

  it('grants exactly the rotation, the master secret read and both KMS uses, each on its own secret', () => {
    const policy = only('AWS::IAM::Policy', 'AppUserRotationRotationPolicy');
    const postgres = only('AWS::Lambda::Function', 'AppUserRotation');
    const attachment = only('AWS::SecretsManager::SecretTargetAttachment', 'AppUser');
    const master = only('AWS::SecretsManager::SecretTargetAttachment', 'DbSecretAttachment');
    const key = { 'Fn::GetAtt': [only('AWS::KMS::Key', 'SecretsKey'), 'Arn'] };
    const viaSecretsManager = { 'kms:ViaService': 'secretsmanager.eu-west-1.amazonaws.com' };
    const onlyThisFunction = {
      StringEquals: { 'secretsmanager:resource/AllowRotationLambdaArn': { 'Fn::GetAtt': [postgres, 'Arn'] } },
    };
    const statements = (props(policy)['PolicyDocument'] as { Statement: PolicyStatement[] }).Statement;
    expect(statements).toEqual([
      {
        Sid: 'GeneratePasswords',
        Effect: 'Allow',
        Action: 'secretsmanager:GetRandomPassword',
        Resource: '*',
      },
      // No RDS permission: the master secret names its host (no RDS-managed admin, no break-glass named).
      {
        Sid: 'ReadAdminSecrets',
        Effect: 'Allow',
        Action: ['secretsmanager:DescribeSecret', 'secretsmanager:GetSecretValue'],
        Resource: { Ref: master },
      },
      {
        Sid: 'DecryptAdminSecretsThroughSecretsManager',
        Effect: 'Allow',
        Action: 'kms:Decrypt',
        Resource: key,
        Condition: {
          StringEquals: viaSecretsManager,
          StringLike: { 'kms:EncryptionContext:SecretARN': [{ Ref: master }] },
        },
      },
      {
        Sid: 'RotateSecretsThatNameThisFunction',
        Effect: 'Allow',
        Action: [
          'secretsmanager:DescribeSecret',
          'secretsmanager:GetSecretValue',
          'secretsmanager:PutSecretValue',
          'secretsmanager:UpdateSecretVersionStage',
          'secretsmanager:ListSecretVersionIds',
        ],
        Resource: { Ref: attachment },
        Condition: onlyThisFunction,
      },
      {
        Sid: 'ClearEmergencyTag',
        Effect: 'Allow',
        Action: 'secretsmanager:UntagResource',
        Resource: { Ref: attachment },
        Condition: {
          ...onlyThisFunction,
          'ForAllValues:StringEquals': { 'aws:TagKeys': ['RotationMode'] },
        },
      },
      {
        Sid: 'RecordReplicaStatus',
        Effect: 'Allow',
        Action: 'secretsmanager:TagResource',
        Resource: { Ref: attachment },
        Condition: {
          ...onlyThisFunction,
          'ForAllValues:StringEquals': { 'aws:TagKeys': ['RotationReplicas'] },
        },
      },
      {
        Sid: 'RecordRotationProgress',
        Effect: 'Allow',
        Action: 'secretsmanager:TagResource',
        Resource: { Ref: attachment },
        Condition: {
          ...onlyThisFunction,
          'ForAllValues:StringEquals': {
            'aws:TagKeys': [
              'RotationProgress:Token',
              'RotationProgress:Step',
              'RotationProgress:Outcome',
              'RotationProgress:ErrorCode',
              'RotationProgress:Attempt',
              'RotationProgress:At',
              'RotationProgress:Kind',
              'RotationProgress:Emergency',
              'RotationProgress:Current',
            ],
          },
        },
      },
      {
        Sid: 'UseSecretsKeyThroughSecretsManager',
        Effect: 'Allow',
        Action: ['kms:Decrypt', 'kms:GenerateDataKey'],
        Resource: key,
        Condition: {
          StringEquals: viaSecretsManager,
          StringLike: { 'kms:EncryptionContext:SecretARN': [{ Ref: attachment }] },
        },
      },
    ]);
    // Nothing else is attached to the function's role.
    const role = only('AWS::IAM::Role', 'AppUserRotationRole');
    const attached = ofType('AWS::IAM::Policy').filter(([, resource]) =>
      JSON.stringify((resource.Properties as { Roles?: unknown }).Roles ?? []).includes(role),
    );
    expect(attached.map(([id]) => id)).toEqual([policy]);
  });

  it('opens the database to the function on the database port, and to nothing else', () => {
    const functionGroup = only('AWS::EC2::SecurityGroup', 'AppUserRotationFunctionSecurityGroup');
    const dbGroup = only('AWS::EC2::SecurityGroup', 'DbSecurityGroup');
    const ingress = ofType('AWS::EC2::SecurityGroupIngress').map(([, resource]) => resource.Properties);
    expect(ingress).toEqual([
      {
        IpProtocol: 'tcp',
        Description: expect.stringContaining('AppUserRotation'),
        FromPort: { 'Fn::GetAtt': [only('AWS::RDS::DBInstance', 'Db'), 'Endpoint.Port'] },
        ToPort: { 'Fn::GetAtt': [only('AWS::RDS::DBInstance', 'Db'), 'Endpoint.Port'] },
        GroupId: { 'Fn::GetAtt': [dbGroup, 'GroupId'] },
        SourceSecurityGroupId: { 'Fn::GetAtt': [functionGroup, 'GroupId'] },
      },
    ]);
  });

  it('denies the account root DeleteSecret on each rotated secret, as CDK rotation does', () => {
    const attachment = only('AWS::SecretsManager::SecretTargetAttachment', 'AppUser');
    const jwtSecret = only('AWS::SecretsManager::Secret', 'JwtSigningKey');
    const policies = ofType('AWS::SecretsManager::ResourcePolicy').map(([, resource]) => resource.Properties);
    for (const secret of [attachment, jwtSecret]) {
      expect(policies).toContainEqual({
        SecretId: { Ref: secret },
        ResourcePolicy: {
          Version: '2012-10-17',
          Statement: [
            {
              Effect: 'Deny',
              Action: 'secretsmanager:DeleteSecret',
              Resource: '*',
              Principal: {
                AWS: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iam::123456789012:root']] },
              },
            },
          ],
        },
      });
    }
  });

  it('packs reproducibly: staged again (compiled again, zips copied), the tarball is byte for byte the same', async () => {
    // The zips' own reproducibility is test/dist/zips.int.test.ts's (two builds, same bytes).
    const again = path.join(workDir, 'again');
    await stageCdkPackage(rootDir, again, { zipsFrom: path.join(stageDir, 'assets') });
    const packedAgain = await npmPack(again, again);
    expect(packedAgain.integrity).toBe(packed.integrity);
  }, 300_000);
});
