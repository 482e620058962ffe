import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { jwtFunction } from '../../functions/jwt/definition.ts';
import { postgresFunction } from '../../functions/postgres/definition.ts';
import { redisFunction } from '../../functions/redis/definition.ts';
import { EnvReader } from '../../shared/config.ts';
import { readCoreConfig } from '../../shared/core-config.ts';
import type { FunctionDefinition } from '../../shared/rotation-function.ts';
import { loadCfnYaml, type CfnTemplate } from './cfn-template.ts';

/**
 * The environment the SAM template gives each function, resolved with parameter values,
 * read by the function's own configuration code: every combination a deployer can pick
 * from the template's allowed values must be a valid configuration.
 */
const rootDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const KINDS = [
  { id: 'Jwt', definition: jwtFunction as FunctionDefinition<unknown, object> },
  { id: 'Postgres', definition: postgresFunction as FunctionDefinition<unknown, object> },
  { id: 'Redis', definition: redisFunction as FunctionDefinition<unknown, object> },
] as const;

function resolveEnvironment(
  template: CfnTemplate,
  id: string,
  overrides: Record<string, string>,
): Record<string, string> {
  const variables = (
    template.Resources[`${id}Function`]?.Properties?.Environment as { Variables: Record<string, unknown> }
  ).Variables;
  const parameter = (ref: string): string =>
    overrides[ref] ?? String(template.Parameters?.[ref]?.Default ?? '');
  const entries: [string, string][] = [];
  for (const [name, value] of Object.entries(variables)) {
    if (typeof value === 'string') {
      entries.push([name, value]);
      continue;
    }
    const ref = parameterOf(value);
    if (!ref) throw new Error(`${id} ${name}: unexpected value ${JSON.stringify(value)}`);
    // `!If [Has<P>, !Ref P, !Ref AWS::NoValue]`: the variable is set only when the parameter is not empty.
    if ('Fn::If' in (value as object) && parameter(ref) === '') continue;
    entries.push([name, parameter(ref)]);
  }
  return Object.fromEntries(entries);
}

/** The parameter a variable takes: `!Ref P`, `!Join [',', !Ref P]`, or `!If [Has<P>, !Ref P, !Ref AWS::NoValue]`. */
function parameterOf(value: unknown): string | undefined {
  const record = value as { Ref?: string; 'Fn::If'?: unknown[]; 'Fn::Join'?: unknown[] };
  if (typeof record.Ref === 'string') return record.Ref;
  // `!Join [',', !Ref ListParameter]`: a CommaDelimitedList passed on as the text it was given.
  const join = record['Fn::Join'];
  if (Array.isArray(join) && join[0] === ',') return parameterOf(join[1]);
  const branches = record['Fn::If'];
  if (!Array.isArray(branches)) return undefined;
  const [condition, whenSet, unset] = branches as [string, { Ref?: string }, { Ref?: string }];
  if (unset?.Ref !== 'AWS::NoValue' || condition !== `Has${whenSet?.Ref}`) return undefined;
  return whenSet.Ref;
}

function configProblems(
  definition: FunctionDefinition<unknown, object>,
  env: Record<string, string>,
): string | undefined {
  const reader = new EnvReader(env);
  readCoreConfig(reader, definition.passwordDefaults);
  const config = definition.readConfig(reader);
  try {
    reader.done(config);
    return undefined;
  } catch (error) {
    return (error as Error).message;
  }
}

describe('SAM template environment', () => {
  let template: CfnTemplate;

  beforeAll(async () => {
    template = await loadCfnYaml(path.join(rootDir, 'infra/template.yaml'));
  });

  it.each(KINDS)(
    'gives the $id function a valid configuration with every parameter at its default',
    ({ id, definition }) => {
      expect(configProblems(definition, resolveEnvironment(template, id, {}))).toBeUndefined();
    },
  );

  it.each(KINDS)(
    'gives the $id function a valid configuration for every allowed value of its parameters',
    ({ id, definition }) => {
      const variables = (
        template.Resources[`${id}Function`]?.Properties?.Environment as {
          Variables: Record<string, unknown>;
        }
      ).Variables;
      const parameters = [...new Set(Object.values(variables).flatMap((value) => parameterOf(value) ?? []))];
      let checked = 0;
      for (const parameter of parameters) {
        for (const value of template.Parameters?.[parameter]?.AllowedValues ?? []) {
          expect(
            configProblems(definition, resolveEnvironment(template, id, { [parameter]: String(value) })),
            `${parameter}=${String(value)}`,
          ).toBeUndefined();
          checked += 1;
        }
      }
      expect(checked).toBeGreaterThan(3);
    },
  );

  it.each(KINDS)(
    'gives the $id function a valid configuration for every probe value its parameter constraints admit',
    ({ id, definition }) => {
      const variables = (
        template.Resources[`${id}Function`]?.Properties?.Environment as {
          Variables: Record<string, unknown>;
        }
      ).Variables;
      const probes = ['', '0', '1', '63', '64', '240', '900', '901', '1024', '1025', '4096', '4097', '99999'];
      for (const parameter of new Set(
        Object.values(variables).flatMap((value) => parameterOf(value) ?? []),
      )) {
        const spec = template.Parameters?.[parameter] as
          | {
              Type: string;
              AllowedPattern?: string;
              MinValue?: number;
              MaxValue?: number;
              AllowedValues?: unknown[];
            }
          | undefined;
        if (!spec || (spec.AllowedPattern === undefined && spec.Type !== 'Number')) continue;
        for (const probe of probes) {
          const admitted =
            spec.Type === 'Number'
              ? probe !== '' &&
                Number(probe) >= (spec.MinValue ?? -Infinity) &&
                Number(probe) <= (spec.MaxValue ?? Infinity)
              : new RegExp(spec.AllowedPattern ?? '').test(probe);
          // CloudFormation also holds a parameter to its AllowedValues (each is checked above).
          if (!admitted || (spec.AllowedValues && !spec.AllowedValues.map(String).includes(probe))) continue;
          expect(
            configProblems(definition, resolveEnvironment(template, id, { [parameter]: probe })),
            `${parameter}=${probe}`,
          ).toBeUndefined();
        }
      }
    },
  );

  it('is checked for real: a value the function refuses is reported', () => {
    expect(
      configProblems(
        redisFunction as FunctionDefinition<unknown, object>,
        resolveEnvironment(template, 'Redis', { ElastiCacheWaitSeconds: '5000' }),
      ),
    ).toMatch(/MAX_WAITING_TIME_FOR_ACTIVE_IN_SECONDS/);
  });
});
