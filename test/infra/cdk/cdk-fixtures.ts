import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type { CfnTemplate } from '../cfn-template.ts';

/** Test helpers for the CDK constructs: stand-in zips, fast apps, templates. */

export const ACCOUNT = '123456789012';
export const REGION = 'eu-west-1';

let zipDir: string | undefined;

/** A small file named <kind>.zip (the construct only hashes and copies it). */
export function fakeZip(kind: string): string {
  zipDir ??= mkdtempSync(path.join(tmpdir(), 'cdk-zips-'));
  const file = path.join(zipDir, `${kind}.zip`);
  writeFileSync(file, `not a real ${kind} bundle`);
  return file;
}

/** An app without the built-in CloudFormation validation (about 3 s per synth otherwise), writing to a temp folder. */
export function newApp(options: { validation?: boolean } = {}): App {
  return new App({
    builtinCloudFormationValidation: options.validation ?? false,
    outdir: mkdtempSync(path.join(tmpdir(), 'cdk-out-')),
  });
}

export function newStack(options: { validation?: boolean; envAgnostic?: boolean } = {}): {
  app: App;
  stack: Stack;
} {
  const app = newApp(options);
  const stack = new Stack(
    app,
    'TestStack',
    options.envAgnostic ? {} : { env: { account: ACCOUNT, region: REGION } },
  );
  return { app, stack };
}

export function templateOf(stack: Stack): { template: Template; json: CfnTemplate } {
  const template = Template.fromStack(stack);
  return { template, json: template.toJSON() as CfnTemplate };
}

/** The logical id of the single resource of `type` whose id starts with `prefix`. */
export function logicalId(json: CfnTemplate, type: string, prefix: string): string {
  const ids = Object.entries(json.Resources)
    .filter(([id, resource]) => resource.Type === type && id.startsWith(prefix))
    .map(([id]) => id);
  if (ids.length !== 1)
    throw new Error(`expected one ${type} starting with ${prefix}, found ${ids.join(', ') || 'none'}`);
  return ids[0] as string;
}
