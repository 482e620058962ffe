import { readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import type { Metafile } from 'esbuild';

/**
 * The licence notices of every npm package bundled into a function, collected from the
 * esbuild metafile. MIT, Apache-2.0 and BSD require the notice to travel with copies of
 * the code; minification drops the files' own comments, so the zip carries this file.
 */

export const LICENSES_FILE = 'THIRD-PARTY-LICENSES.txt';

interface PackageInfo {
  readonly name: string;
  readonly version: string;
  readonly license: string;
  readonly text: string;
}

/** The package folders (…/node_modules/<name> or …/node_modules/@scope/<name>) of the bundled inputs, sorted. */
export function bundledPackageDirs(metafile: Metafile, rootDir: string): string[] {
  const dirs = new Set<string>();
  for (const input of Object.keys(metafile.inputs)) {
    const match = /^(.*node_modules\/(?:@[^/]+\/)?[^/@][^/]*)\//.exec(input);
    if (match?.[1]) dirs.add(path.resolve(rootDir, match[1]));
  }
  return [...dirs].sort();
}

async function readPackage(dir: string): Promise<PackageInfo | undefined> {
  let manifest: { name?: string; version?: string; license?: string };
  try {
    manifest = JSON.parse(await readFile(path.join(dir, 'package.json'), 'utf8')) as typeof manifest;
  } catch {
    return undefined;
  }
  if (!manifest.name) return undefined;
  const files = (await readdir(dir))
    .filter((file) => /^(licen[cs]e|copying|notice)(\.|$)/i.test(file))
    .sort();
  const texts = await Promise.all(files.map((file) => readFile(path.join(dir, file), 'utf8')));
  return {
    name: manifest.name,
    version: manifest.version ?? '',
    license: manifest.license ?? 'UNKNOWN',
    text: texts.join('\n').trim(),
  };
}

export async function thirdPartyLicenses(
  metafile: Metafile,
  rootDir: string,
): Promise<{ text: string; packages: readonly string[] }> {
  const infos = (await Promise.all(bundledPackageDirs(metafile, rootDir).map(readPackage))).filter(
    (info): info is PackageInfo => info !== undefined,
  );
  const unique = new Map<string, PackageInfo>();
  for (const info of infos) unique.set(`${info.name}@${info.version}`, info);
  const sorted = [...unique.values()].sort((a, b) =>
    a.name === b.name ? a.version.localeCompare(b.version) : a.name.localeCompare(b.name),
  );
  // Many packages ship the same text (the AWS SDK's Apache-2.0): print each text once, under every package that uses it.
  const byText = new Map<string, string[]>();
  for (const info of sorted) {
    const text = info.text || `Licensed under ${info.license}.`;
    byText.set(text, [...(byText.get(text) ?? []), `${info.name}@${info.version} (${info.license})`]);
  }
  const sections = [...byText].map(([text, names]) => `${names.join('\n')}\n\n${text}\n`);
  const text = `This file lists the third-party packages bundled into index.mjs and their licence notices.\n\n${sections.join('\n' + '-'.repeat(72) + '\n\n')}`;
  return { text, packages: sorted.map((info) => `${info.name}@${info.version}`) };
}
