import { createWriteStream } from 'node:fs';
import { mkdir, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve, sep } from 'node:path';
import { pipeline } from 'node:stream/promises';
import yauzl from 'yauzl';

/** Unzip a Lambda bundle once into a fresh temp folder; returns the folder. */
export async function unzipToTemp(zipPath: string): Promise<string> {
  const target = await mkdtemp(join(tmpdir(), 'sm-emulator-fn-'));
  const zip = await new Promise<yauzl.ZipFile>((ok, fail) =>
    yauzl.open(zipPath, { lazyEntries: true }, (error, file) => (error ? fail(error) : ok(file))),
  );
  await new Promise<void>((ok, fail) => {
    zip.on('error', fail);
    zip.on('end', () => ok());
    zip.on('entry', (entry: yauzl.Entry) => {
      const destination = resolve(target, entry.fileName);
      if (!destination.startsWith(target + sep)) {
        fail(new Error(`Zip entry ${entry.fileName} escapes the target folder`));
        return;
      }
      if (entry.fileName.endsWith('/')) {
        mkdir(destination, { recursive: true }).then(() => zip.readEntry(), fail);
        return;
      }
      zip.openReadStream(entry, (error, stream) => {
        if (error) {
          fail(error);
          return;
        }
        mkdir(dirname(destination), { recursive: true })
          .then(() => pipeline(stream, createWriteStream(destination)))
          .then(() => zip.readEntry(), fail);
      });
    });
    zip.readEntry();
  });
  zip.close();
  return target;
}
