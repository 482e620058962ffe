import path from 'node:path';
import type { RotationKind } from './permissions.ts';

/**
 * Where the built zips live: `assets/<kind>.zip` beside `lib/` in the installed package
 * (`npm run package` copies them in; the package ships nothing else to run). Compiled to
 * CommonJS, this file sits in `lib/`; run from source it sits in `src/`: either way the
 * folder is `../assets`.
 */
export function bundledZipPath(kind: RotationKind): string {
  return path.resolve(__dirname, '..', 'assets', `${kind}.zip`);
}
