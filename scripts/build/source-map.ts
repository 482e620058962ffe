/**
 * Trims a source map to the project's own sources. The bundled libraries (AWS SDK,
 * Powertools, pg, ioredis, jose) make up more than 90 % of a function's code; mapping
 * them would more than double each zip. Frames in our code (functions/, shared/) map
 * back to the TypeScript line; library frames keep their bundle position in index.mjs.
 */

const BASE64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const BASE64_VALUE = new Map([...BASE64].map((char, index) => [char, index]));

export interface RawSourceMap {
  readonly version: number;
  readonly sources: readonly string[];
  readonly names: readonly string[];
  readonly mappings: string;
  readonly sourceRoot?: string;
  readonly sourcesContent?: readonly (string | null)[];
  readonly file?: string;
}

/** One segment with absolute values: [generatedColumn] or [generatedColumn, source, line, column, name?]. */
type Segment = number[];

export function decodeVlq(text: string): number[] {
  const values: number[] = [];
  let value = 0;
  let shift = 0;
  for (const char of text) {
    const digit = BASE64_VALUE.get(char);
    if (digit === undefined)
      throw new Error(`Invalid base64 VLQ character ${JSON.stringify(char)} in source map`);
    value += (digit & 31) * 2 ** shift;
    if (digit & 32) {
      shift += 5;
      continue;
    }
    values.push(value % 2 === 1 ? -(value - 1) / 2 : value / 2);
    value = 0;
    shift = 0;
  }
  if (shift !== 0) throw new Error('Truncated base64 VLQ value in source map');
  return values;
}

export function encodeVlq(values: readonly number[]): string {
  let text = '';
  for (const value of values) {
    let rest = value < 0 ? -value * 2 + 1 : value * 2;
    do {
      let digit = rest % 32;
      rest = Math.floor(rest / 32);
      if (rest > 0) digit += 32;
      text += BASE64[digit];
    } while (rest > 0);
  }
  return text;
}

export function decodeMappings(mappings: string): Segment[][] {
  const state = [0, 0, 0, 0];
  return mappings.split(';').map((line) => {
    let column = 0;
    if (line === '') return [];
    return line.split(',').map((field) => {
      const delta = decodeVlq(field);
      column += delta[0] ?? 0;
      if (delta.length === 1) return [column];
      for (let i = 1; i < delta.length; i += 1) state[i - 1] = (state[i - 1] ?? 0) + (delta[i] ?? 0);
      return delta.length >= 5
        ? [column, state[0] ?? 0, state[1] ?? 0, state[2] ?? 0, state[3] ?? 0]
        : [column, state[0] ?? 0, state[1] ?? 0, state[2] ?? 0];
    });
  });
}

function encodeMappings(lines: readonly Segment[][]): string {
  const state = [0, 0, 0, 0];
  return lines
    .map((segments) => {
      let column = 0;
      return segments
        .map((segment) => {
          const delta = [(segment[0] ?? 0) - column];
          column = segment[0] ?? 0;
          for (let i = 1; i < segment.length; i += 1) {
            delta.push((segment[i] ?? 0) - (state[i - 1] ?? 0));
            state[i - 1] = segment[i] ?? 0;
          }
          return encodeVlq(delta);
        })
        .join(',');
    })
    .join(';');
}

/** Keep only the mappings into sources for which `keep(source)` is true; unmapped ranges end where a dropped segment began. */
export function trimSourceMap(map: RawSourceMap, keep: (source: string) => boolean): RawSourceMap {
  const sourceIndex = new Map<number, number>();
  const sources: string[] = [];
  map.sources.forEach((source, index) => {
    if (keep(source)) {
      sourceIndex.set(index, sources.length);
      sources.push(source);
    }
  });
  const nameIndex = new Map<number, number>();
  const names: string[] = [];
  const lines = decodeMappings(map.mappings).map((segments) => {
    const kept: Segment[] = [];
    for (const segment of segments) {
      const newSource = segment.length > 1 ? sourceIndex.get(segment[1] ?? -1) : undefined;
      if (newSource === undefined) {
        // Unmapped from here; collapse runs of unmapped segments and skip leading ones.
        const last = kept.at(-1);
        if (last !== undefined && last.length > 1) kept.push([segment[0] ?? 0]);
        continue;
      }
      const next: Segment = [segment[0] ?? 0, newSource, segment[2] ?? 0, segment[3] ?? 0];
      if (segment.length >= 5) {
        const oldName = segment[4] ?? 0;
        let newName = nameIndex.get(oldName);
        if (newName === undefined) {
          newName = names.length;
          nameIndex.set(oldName, newName);
          names.push(map.names[oldName] ?? '');
        }
        next.push(newName);
      }
      kept.push(next);
    }
    return kept;
  });
  const { sourcesContent: _dropped, ...rest } = map;
  return { ...rest, sources, names, mappings: encodeMappings(lines) };
}

/** The project's own sources: anything not under node_modules. */
export const isProjectSource = (source: string): boolean => !source.split('/').includes('node_modules');
