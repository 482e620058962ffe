import { readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadCfnYaml, roleActions, type CfnTemplate } from './cfn-template.ts';

/**
 * Least privilege, checked against the code rather than a list: the AWS calls each
 * function's code can make (SDK commands in functions/<kind>, Secrets Manager port calls in
 * shared/ and functions/<kind>) are exactly what the SAM template grants it, apart from
 * Lambda's own plumbing (logs, VPC network interfaces) and KMS (used by Secrets Manager on
 * the function's behalf).
 */
const rootDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const KINDS = [
  { kind: 'jwt', id: 'Jwt' },
  { kind: 'postgres', id: 'Postgres' },
  { kind: 'redis', id: 'Redis' },
] as const;
const SERVICE_OF_CLIENT: Record<string, string> = {
  '@aws-sdk/client-rds': 'rds',
  '@aws-sdk/client-elasticache': 'elasticache',
};

async function sources(dir: string): Promise<string[]> {
  const files = (await readdir(path.join(rootDir, dir))).filter((file) => file.endsWith('.ts'));
  return Promise.all(files.map((file) => readFile(path.join(rootDir, dir, file), 'utf8')));
}

/** Actions the code of a kind calls: SDK commands of its own clients, plus Secrets Manager port calls. */
async function actionsCalled(kind: string): Promise<string[]> {
  const own = await sources(`functions/${kind}`);
  const shared = await sources('shared');
  const actions = new Set<string>();
  for (const text of own) {
    const client = Object.keys(SERVICE_OF_CLIENT).find((name) => text.includes(`from '${name}'`));
    if (!client) continue;
    for (const match of text.matchAll(/new (\w+)Command\(/g))
      actions.add(`${SERVICE_OF_CLIENT[client]}:${match[1]}`);
  }
  for (const text of [...own, ...shared]) {
    for (const match of text.matchAll(/\bsecrets\.(\w+)\(/g)) {
      if (match[1] !== 'getRandomPassword')
        actions.add(`secretsmanager:${(match[1] ?? '').replace(/^\w/, (c) => c.toUpperCase())}`);
    }
  }
  // The core's password generator wraps GetRandomPassword; only kinds that generate passwords call it.
  if (own.some((text) => /\bgenerator\.generate\(|\bpasswords\.generate\(|\bdrawPassword\(/.test(text)))
    actions.add('secretsmanager:GetRandomPassword');
  return [...actions].sort();
}

describe('IAM grants match the code', () => {
  let sam: CfnTemplate;

  beforeAll(async () => {
    sam = await loadCfnYaml(path.join(rootDir, 'infra/template.yaml'));
  });

  it.each(KINDS)('grants the $kind function exactly the AWS actions its code calls', async ({ kind, id }) => {
    const granted = roleActions(sam, `${id}Role`).filter((action) => !/^(logs|ec2|kms):/.test(action));
    expect(granted).toEqual(await actionsCalled(kind));
  });
});
