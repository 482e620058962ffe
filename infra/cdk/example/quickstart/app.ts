/**
 * A CDK app that installs `sm-rotation-cdk` and rotates two secrets: a PostgreSQL
 * application user (alternating users, created by the RDS master user) and a JWT signing
 * key. Copied verbatim into infra/README.md; test/infra/cdk/package-install.test.ts packs
 * the library, installs it beside aws-cdk-lib and constructs, compiles this file with tsc
 * and checks what it synthesises.
 *
 *   npm install sm-rotation-cdk aws-cdk-lib constructs
 *   npx tsc && npx cdk deploy --app 'node app.js'
 */
import { App, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as rds from 'aws-cdk-lib/aws-rds';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { JwtRotation, PostgresAlternatingUsersRotation, RotationRules } from 'sm-rotation-cdk';

const app = new App();
const stack = new Stack(app, 'RotationQuickstart', {
  env: {
    account: process.env.CDK_DEFAULT_ACCOUNT ?? '123456789012',
    region: process.env.CDK_DEFAULT_REGION ?? 'eu-west-1',
  },
});

const key = new kms.Key(stack, 'SecretsKey', { enableKeyRotation: true });
const vpc = new ec2.Vpc(stack, 'Vpc', { maxAzs: 2, natGateways: 1 });
// The function reaches Secrets Manager through an interface endpoint (or the NAT gateway).
vpc.addInterfaceEndpoint('SecretsManager', { service: ec2.InterfaceVpcEndpointAwsService.SECRETS_MANAGER });

const db = new rds.DatabaseInstance(stack, 'Db', {
  engine: rds.DatabaseInstanceEngine.postgres({ version: rds.PostgresEngineVersion.VER_15 }),
  vpc,
  storageEncrypted: true,
  credentials: rds.Credentials.fromGeneratedSecret('postgres', { encryptionKey: key }),
});

// The application user: username, password and masterarn, then host, port and dbname from the instance.
const appUser = new rds.DatabaseSecret(stack, 'AppUser', {
  username: 'app',
  masterSecret: db.secret,
  encryptionKey: key,
  excludeCharacters: ':/@"\'\\%',
}).attach(db);

// One line: the function in the VPC, ingress to the database on its port, the schedule,
// read access to both secrets and their KMS key, root delete-deny on the rotated secret.
new PostgresAlternatingUsersRotation(stack, 'AppUserRotation', {
  secret: appUser,
  masterSecret: db.secret!,
  target: db,
  vpc,
  schedule: RotationRules.cron('0 3 ? * SUN *', 3),
});

const signingKey = new secretsmanager.Secret(stack, 'JwtSigningKey', {
  encryptionKey: key,
  generateSecretString: { passwordLength: 88, excludePunctuation: true },
});
new JwtRotation(stack, 'JwtSigningKeyRotation', {
  secret: signingKey,
  schedule: RotationRules.everyDays(30),
});

app.synth();
