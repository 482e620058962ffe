import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));
const FORBIDDEN_IN_CORE = [
  /^pg($|\/|-)/,
  /^ioredis/,
  /^redis/,
  /^@redis\//,
  /^jose/,
  /^@aws-sdk\/client-rds/,
  /^@aws-sdk\/client-elasticache/,
];

async function sourceFiles(dir: string): Promise<string[]> {
  const entries = await readdir(join(root, dir), { withFileTypes: true, recursive: true });
  return entries.filter((e) => e.isFile() && e.name.endsWith('.ts')).map((e) => join(e.parentPath, e.name));
}

function importsOf(text: string): string[] {
  const specifiers: string[] = [];
  for (const match of text.matchAll(
    /(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g,
  )) {
    specifiers.push((match[1] ?? match[2])!);
  }
  return specifiers;
}

describe('architecture boundaries', () => {
  it('keeps the core free of database, Redis and JWT libraries and of functions/', async () => {
    const offenders: string[] = [];
    for (const file of await sourceFiles('shared')) {
      for (const spec of importsOf(await readFile(file, 'utf8'))) {
        if (FORBIDDEN_IN_CORE.some((re) => re.test(spec)) || spec.includes('/functions/'))
          offenders.push(`${file}: ${spec}`);
      }
    }
    expect(offenders).toEqual([]);
  });

  it('never lets one function import another', async () => {
    const kinds = (await readdir(join(root, 'functions'), { withFileTypes: true }))
      .filter((e) => e.isDirectory())
      .map((e) => e.name);
    const offenders: string[] = [];
    for (const kind of kinds) {
      for (const file of await sourceFiles(join('functions', kind))) {
        for (const spec of importsOf(await readFile(file, 'utf8'))) {
          for (const other of kinds)
            if (other !== kind && new RegExp(`(^|/)${other}/`).test(spec)) offenders.push(`${file}: ${spec}`);
        }
      }
    }
    expect(offenders).toEqual([]);
  });

  it('detects a forbidden import when one is present (the check can fail)', () => {
    expect(importsOf("import { Client } from 'pg';\nexport * from './x.ts';")).toEqual(['pg', './x.ts']);
    expect(FORBIDDEN_IN_CORE.some((re) => re.test('pg'))).toBe(true);
  });
});
