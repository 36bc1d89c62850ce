import { createWriteStream, mkdirSync } from 'node:fs';
import { dirname, join, resolve, sep } from 'node:path';
import { pipeline } from 'node:stream/promises';

import { type Entry, open, type ZipFile } from 'yauzl';

const openZip = (zipFile: string): Promise<ZipFile> =>
  new Promise((done, fail) => open(zipFile, { lazyEntries: true }, (error, zip) => (error ? fail(error) : done(zip))));

/** Calls `onEntry` for each entry of `zipFile`, one after another, in archive order. */
async function eachEntry(zipFile: string, onEntry: (entry: Entry, zip: ZipFile) => Promise<void>): Promise<void> {
  const zip = await openZip(zipFile);
  await new Promise<void>((done, fail) => {
    zip.on('entry', (entry: Entry) => void onEntry(entry, zip).then(() => zip.readEntry(), fail));
    zip.once('end', done);
    zip.once('error', fail);
    zip.readEntry();
  });
}

/** The entry names of `zipFile`, sorted. */
export async function zipEntries(zipFile: string): Promise<string[]> {
  const names: string[] = [];
  await eachEntry(zipFile, async (entry) => void names.push(entry.fileName));
  return names.sort();
}

/** Extracts every file of `zipFile` under `folder` (created as needed), as `unzip` would. */
export async function unzip(zipFile: string, folder: string): Promise<void> {
  const root = resolve(folder);
  await eachEntry(zipFile, async (entry, zip) => {
    const target = resolve(root, entry.fileName);
    if (!target.startsWith(root + sep)) throw new Error(`zip entry ${entry.fileName} points outside the folder`);
    if (entry.fileName.endsWith('/')) return void mkdirSync(target, { recursive: true });
    mkdirSync(dirname(target), { recursive: true });
    const stream = await new Promise<NodeJS.ReadableStream>((done, fail) =>
      zip.openReadStream(entry, (error, readStream) => (error ? fail(error) : done(readStream))),
    );
    await pipeline(stream, createWriteStream(join(target)));
  });
}
