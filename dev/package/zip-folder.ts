import { createWriteStream, readdirSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { pipeline } from 'node:stream/promises';

import { ZipFile } from 'yazl';

// One fixed time for every entry, so that the same files always make the same zip (byte for byte on one machine).
const ENTRY_TIME = new Date(Date.UTC(2020, 0, 1));

/** Every file under `folder` (recursively), as paths relative to it with `/` separators, sorted. */
function listFiles(folder: string): string[] {
  const files: string[] = [];
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.isFile()) files.push(relative(folder, path).split(sep).join('/'));
    }
  };
  walk(folder);
  return files.sort();
}

/**
 * Writes `zipFile` with every file under `folder` at its relative path (deflated, mode 0644, fixed timestamps).
 *
 * @returns the entries written, sorted.
 */
export async function zipFolder(folder: string, zipFile: string): Promise<string[]> {
  const files = listFiles(folder);
  const zip = new ZipFile();
  for (const file of files) zip.addFile(join(folder, file), file, { mtime: ENTRY_TIME, mode: 0o100644 });
  zip.end();
  await pipeline(zip.outputStream, createWriteStream(zipFile));
  return files;
}
