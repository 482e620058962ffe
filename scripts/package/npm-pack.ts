import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** `npm pack <dir>` into `destination`; returns the tarball's file name and integrity as npm reports them. */
export async function npmPack(
  dir: string,
  destination: string,
): Promise<{ readonly filename: string; readonly integrity: string; readonly files: number }> {
  const { stdout } = await run(
    'npm',
    ['pack', dir, '--pack-destination', destination, '--json', '--ignore-scripts'],
    { env: { ...process.env, npm_config_update_notifier: 'false', npm_config_fund: 'false' } },
  );
  const [report] = JSON.parse(stdout) as { filename: string; integrity: string; entryCount: number }[];
  if (!report) throw new Error(`npm pack ${dir} reported nothing`);
  return { filename: report.filename, integrity: report.integrity, files: report.entryCount };
}
