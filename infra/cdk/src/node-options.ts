/**
 * NODE_OPTIONS of every rotation function (here, inside the CDK package, which ships it) (the SAM template and the CDK construct set the
 * same; `npm run bench` measures the zips with it).
 *
 * - `--enable-source-maps`: stack traces name the TypeScript sources (the zips carry maps).
 * - `--max-semi-space-size=1` and `--max-old-space-size=48` (MB): V8 sizes its heap for a
 *   machine, not for a function whose heap in use stays about 12 MB. With Node's defaults a
 *   warm process grew to 100-114 MB resident over 100 rotations (young generation semi-spaces
 *   of 16 MB, old space collected late); with these it settles near 65-77 MB
 *   (the project's scripts/bench/README.md). 48 MB is four times the heap a rotation uses.
 */
export const LAMBDA_NODE_OPTIONS = '--enable-source-maps --max-semi-space-size=1 --max-old-space-size=48';
