import { readFile } from 'node:fs/promises';
import path from 'node:path';

interface LockEntry {
  readonly version?: string;
  readonly integrity?: string;
  readonly resolved?: string;
  readonly dependencies?: Readonly<Record<string, string>>;
  readonly optionalDependencies?: Readonly<Record<string, string>>;
  readonly inBundle?: boolean;
  readonly dev?: boolean;
  readonly [key: string]: unknown;
}

/**
 * A package-lock.json for a fresh app that depends on `roots` (taken at the versions this
 * repository's lockfile pins, with their whole dependency tree) plus local tarballs. With
 * it, `npm ci --offline` installs from the npm cache that the repository's own `npm ci`
 * filled: no registry round trip, the exact versions the repository tests.
 */
export async function appLockfile(
  rootDir: string,
  roots: readonly string[],
  tarballs: Readonly<
    Record<string, { readonly file: string; readonly integrity: string; readonly version: string }>
  >,
): Promise<{ lock: object; dependencies: Record<string, string> }> {
  const rootLock = JSON.parse(await readFile(path.join(rootDir, 'package-lock.json'), 'utf8')) as {
    packages: Record<string, LockEntry>;
  };
  const all = rootLock.packages;
  const picked = new Map<string, LockEntry>();
  const resolveFrom = (parent: string, name: string): string | undefined => {
    for (let dir = parent; ;) {
      const candidate = `${dir === '' ? '' : `${dir}/`}node_modules/${name}`;
      if (all[candidate]) return candidate;
      if (dir === '') return undefined;
      const at = dir.lastIndexOf('/node_modules/');
      dir = at < 0 ? '' : dir.slice(0, at);
    }
  };
  const visit = (key: string): void => {
    if (picked.has(key)) return;
    const entry = all[key];
    if (!entry) throw new Error(`package-lock.json has no ${key}`);
    const { dev: _dev, ...rest } = entry;
    picked.set(key, rest);
    for (const name of Object.keys({ ...entry.dependencies, ...entry.optionalDependencies })) {
      const found = resolveFrom(key, name);
      if (found) visit(found);
      else if (!entry.optionalDependencies?.[name]) throw new Error(`cannot resolve ${name} from ${key}`);
    }
  };
  const dependencies: Record<string, string> = {};
  for (const name of roots) {
    visit(`node_modules/${name}`);
    dependencies[name] = all[`node_modules/${name}`]?.version ?? '*';
  }
  for (const [name, tarball] of Object.entries(tarballs)) {
    dependencies[name] = `file:${tarball.file}`;
    picked.set(`node_modules/${name}`, {
      version: tarball.version,
      resolved: `file:${tarball.file}`,
      integrity: tarball.integrity,
    });
  }
  const packages: Record<string, unknown> = { '': { name: 'app', version: '0.0.0', dependencies } };
  for (const key of [...picked.keys()].sort()) packages[key] = picked.get(key);
  return {
    lock: { name: 'app', version: '0.0.0', lockfileVersion: 3, requires: true, packages },
    dependencies,
  };
}
