import { compile, TreeInterpreter, type JSONValue } from '@jmespath-community/jmespath';
import { UsageError } from './exit-code.ts';
import { OutputFormat } from './options.ts';

/**
 * How a command's JSON document is printed: `--query` (JMESPath, through
 * @jmespath-community/jmespath, the maintained implementation of the JMESPath
 * specification) picks from it, and `--output` decides the form: pretty JSON, or the AWS
 * CLI's text form (tab-separated lines). Values are printed as they are in the document;
 * no command puts a secret value in one.
 */
export type DocumentRenderer = (document: unknown) => string;

export function documentRenderer(output: OutputFormat, query: string | undefined): DocumentRenderer {
  let select = (document: unknown): unknown => document;
  if (query !== undefined) {
    let ast: ReturnType<typeof compile>;
    try {
      ast = compile(query);
    } catch (error) {
      throw new UsageError(
        `--query is not a valid JMESPath expression: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
    select = (document) => TreeInterpreter.search(ast, toJson(document));
  }
  return output === OutputFormat.text
    ? (document) => toText(select(document))
    : (document) => `${JSON.stringify(select(document), null, 2)}\n`;
}

/** The document as JSON would carry it (Dates as ISO strings, no undefined), which is what the query sees. */
function toJson(document: unknown): JSONValue {
  return JSON.parse(JSON.stringify(document ?? null)) as JSONValue;
}

/**
 * The AWS CLI's text output, simplified: a scalar on its own line; a list of scalars on one
 * line, tab-separated; an object's scalar values (keys in sorted order) on one line, then
 * each nested list or object below it; a list of objects one line per object.
 */
export function toText(value: unknown): string {
  const lines: string[] = [];
  const scalar = (item: unknown): string => (item === null || item === undefined ? 'None' : String(item));
  const isScalar = (item: unknown): boolean => item === null || typeof item !== 'object';
  const walk = (item: unknown): void => {
    if (isScalar(item)) {
      lines.push(scalar(item));
      return;
    }
    if (Array.isArray(item)) {
      if (item.every(isScalar)) {
        if (item.length > 0) lines.push(item.map(scalar).join('\t'));
        return;
      }
      for (const entry of item) walk(entry);
      return;
    }
    const entries = Object.entries(item as Record<string, unknown>).sort(([a], [b]) => a.localeCompare(b));
    const flat = entries.filter(([, inner]) => isScalar(inner));
    if (flat.length > 0) lines.push(flat.map(([, inner]) => scalar(inner)).join('\t'));
    for (const [, inner] of entries.filter(([, nested]) => !isScalar(nested))) walk(inner);
  };
  walk(JSON.parse(JSON.stringify(value ?? null)));
  return lines.length === 0 ? '' : `${lines.join('\n')}\n`;
}
