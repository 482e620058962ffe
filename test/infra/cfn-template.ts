import { readFile } from 'node:fs/promises';
import { parse, type Tags } from 'yaml';

/**
 * Reading CloudFormation templates in tests: the SAM template (YAML with intrinsic
 * tags such as !Ref and !If) and CDK's synthesised JSON, into one shape, plus helpers
 * that collect the IAM statements a role can receive.
 */

export interface CfnResource {
  readonly Type: string;
  readonly Condition?: string;
  readonly DependsOn?: string | string[];
  readonly Properties?: Record<string, unknown>;
  readonly Metadata?: Record<string, unknown>;
}

export interface CfnTemplate {
  readonly Parameters?: Record<string, { Type: string; Default?: unknown; AllowedValues?: unknown[] }>;
  readonly Conditions?: Record<string, unknown>;
  readonly Mappings?: Record<string, Record<string, Record<string, unknown>>>;
  readonly Rules?: Record<string, unknown>;
  readonly Globals?: { Function?: Record<string, unknown> };
  readonly Resources: Record<string, CfnResource>;
  readonly Outputs?: Record<string, unknown>;
}

export interface PolicyStatement {
  readonly Sid?: string;
  readonly Effect: string;
  readonly Action: string | string[];
  readonly Resource: unknown;
  readonly Condition?: Record<string, Record<string, unknown>>;
}

const SCALAR_FUNCTIONS: Record<string, (value: string) => unknown> = {
  '!Ref': (value) => ({ Ref: value }),
  '!Condition': (value) => ({ Condition: value }),
  '!GetAtt': (value) => ({ 'Fn::GetAtt': value.split('.') }),
  '!Sub': (value) => ({ 'Fn::Sub': value }),
  '!Base64': (value) => ({ 'Fn::Base64': value }),
  '!GetAZs': (value) => ({ 'Fn::GetAZs': value }),
  '!ImportValue': (value) => ({ 'Fn::ImportValue': value }),
};
const SEQUENCE_FUNCTIONS = [
  'If',
  'Not',
  'Equals',
  'And',
  'Or',
  'Join',
  'Select',
  'Split',
  'FindInMap',
  'Contains',
  'Sub',
  'GetAtt',
  'Cidr',
];

const CFN_TAGS: Tags = [
  ...Object.entries(SCALAR_FUNCTIONS).map(([tag, build]) => ({
    tag,
    resolve: (value: string) => build(value),
  })),
  ...SEQUENCE_FUNCTIONS.map((name) => ({
    tag: `!${name}`,
    collection: 'seq' as const,
    resolve: (value: unknown) => ({ [`Fn::${name}`]: (value as { toJSON(): unknown }).toJSON() }),
  })),
];

export function parseCfnYaml(text: string): CfnTemplate {
  return parse(text, { customTags: CFN_TAGS }) as CfnTemplate;
}

export async function loadCfnYaml(file: string): Promise<CfnTemplate> {
  return parseCfnYaml(await readFile(file, 'utf8'));
}

/**
 * The value CloudFormation computes for a property, from parameter values (the rest default):
 * Ref, Fn::If with the template's Conditions, Fn::FindInMap, Fn::Join, Fn::Equals, Fn::Not,
 * Fn::And, Fn::Or, as AWS documents them. A CommaDelimitedList's Ref is its items.
 */
export function evaluateCfn(
  template: CfnTemplate,
  value: unknown,
  parameters: Record<string, string>,
): unknown {
  const parameter = (name: string): unknown => {
    const spec = template.Parameters?.[name];
    if (spec === undefined) throw new Error(`no parameter ${name}`);
    const text = parameters[name] ?? String(spec.Default ?? '');
    return spec.Type === 'CommaDelimitedList' ? text.split(',') : text;
  };
  const condition = (name: string): boolean => {
    const body = template.Conditions?.[name];
    if (body === undefined) throw new Error(`no condition ${name}`);
    return evaluateCfn(template, body, parameters) === true;
  };
  const ev = (v: unknown): unknown => evaluateCfn(template, v, parameters);
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map(ev);
  const [key, arg] = Object.entries(value)[0] ?? [];
  const args = arg as unknown[];
  switch (key) {
    case 'Ref':
      return parameter(arg as string);
    case 'Condition':
      return condition(arg as string);
    case 'Fn::If':
      return condition(args[0] as string) ? ev(args[1]) : ev(args[2]);
    case 'Fn::FindInMap': {
      const [map, top, second] = args.map(ev) as [string, string, string];
      const found = template.Mappings?.[map]?.[top]?.[second];
      if (found === undefined) throw new Error(`Fn::FindInMap: no ${map}.${top}.${second}`);
      return found;
    }
    case 'Fn::Join':
      return (ev(args[1]) as unknown[]).join(args[0] as string);
    case 'Fn::Equals':
      return String(ev(args[0])) === String(ev(args[1]));
    case 'Fn::Not':
      return !(ev(args[0]) as boolean);
    case 'Fn::And':
      return args.every((a) => ev(a) === true);
    case 'Fn::Or':
      return args.some((a) => ev(a) === true);
    default:
      throw new Error(`evaluateCfn: ${String(key)} is not implemented`);
  }
}

/** Every statement that may apply: both branches of Fn::If, AWS::NoValue dropped. */
export function possibleStatements(statements: unknown): PolicyStatement[] {
  if (statements === undefined || statements === null) return [];
  if (Array.isArray(statements)) return statements.flatMap(possibleStatements);
  if (typeof statements !== 'object') return [];
  const record = statements as Record<string, unknown>;
  if ('Fn::If' in record) {
    const [, whenTrue, whenFalse] = record['Fn::If'] as unknown[];
    return [...possibleStatements(whenTrue), ...possibleStatements(whenFalse)];
  }
  if ('Ref' in record && record.Ref === 'AWS::NoValue') return [];
  return [record as unknown as PolicyStatement];
}

/** The condition guarding a conditional statement, or undefined when it always applies. */
export function statementConditions(
  statements: readonly unknown[],
): Map<string | undefined, string | undefined> {
  const result = new Map<string | undefined, string | undefined>();
  for (const entry of statements) {
    const record = entry as Record<string, unknown>;
    if ('Fn::If' in record) {
      const [condition, whenTrue] = record['Fn::If'] as [string, unknown];
      for (const statement of possibleStatements(whenTrue)) result.set(statement.Sid, condition);
    } else {
      result.set((record as unknown as PolicyStatement).Sid, undefined);
    }
  }
  return result;
}

export const actionsOf = (statement: PolicyStatement): string[] =>
  Array.isArray(statement.Action) ? statement.Action : [statement.Action];

/** Statements a role can carry: its inline policies plus AWS::IAM::Policy resources attached to it. */
export function roleStatements(template: CfnTemplate, roleLogicalId: string): PolicyStatement[] {
  const role = template.Resources[roleLogicalId];
  if (role?.Type !== 'AWS::IAM::Role') throw new Error(`${roleLogicalId} is not an AWS::IAM::Role`);
  const inline = ((role.Properties?.Policies ?? []) as { PolicyDocument: { Statement: unknown } }[]).flatMap(
    (policy) => possibleStatements(policy.PolicyDocument.Statement),
  );
  const attached = Object.values(template.Resources)
    .filter(
      (resource) =>
        resource.Type === 'AWS::IAM::Policy' &&
        JSON.stringify(resource.Properties?.Roles ?? []).includes(JSON.stringify({ Ref: roleLogicalId })),
    )
    .flatMap((resource) =>
      possibleStatements((resource.Properties?.PolicyDocument as { Statement: unknown }).Statement),
    );
  const managed = (role.Properties?.ManagedPolicyArns ?? []) as unknown[];
  if (managed.length > 0)
    throw new Error(`${roleLogicalId} has managed policies; the tests expect inline statements only`);
  return [...inline, ...attached];
}

/** The sorted set of actions a role can be granted. */
export function roleActions(template: CfnTemplate, roleLogicalId: string): string[] {
  return [...new Set(roleStatements(template, roleLogicalId).flatMap(actionsOf))].sort();
}
