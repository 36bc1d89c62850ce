import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';

const repoRoot = join(__dirname, '../../..');

// Every module a process loads stays in its heap for good, and V8 sizes the heap in proportion to what is
// live (README "Measured figures", relay memory). The relay relays; it never signs a transaction, so the
// signing stack (crypto-conditions and the core-js it brings, about 450 modules) must stay out of it.

/** The files required by the relay worker's process once it has started (it stops at once with `--help`). */
async function modulesLoadedByRelay(): Promise<string[]> {
  const script = [
    "process.argv = [process.argv[0], 'relay-worker/main.ts', '--help'];",
    "process.on('exit', () => process.stderr.write('\\nMODULES ' + JSON.stringify(Object.keys(require.cache)) + '\\n'));",
    "require('./relay-worker/main.ts');",
  ].join('\n');
  const { stderr } = await promisify(execFile)(process.execPath, ['--import', 'tsx', '-e', script], {
    cwd: repoRoot,
    env: { PATH: process.env['PATH'] },
  });
  const line = stderr.split('\n').find((text) => text.startsWith('MODULES '));
  if (line === undefined) throw new Error(`no module list in the output:\n${stderr}`);
  return JSON.parse(line.slice('MODULES '.length)) as string[];
}

describe('the relay worker process', () => {
  it('loads the queue client but not the signing stack (crypto-conditions, core-js)', async () => {
    const loaded = await modulesLoadedByRelay();
    const inPackage = (name: string): string[] =>
      loaded.filter((path) => path.split(/[\\/]/).join('/').includes(`/node_modules/${name}/`));

    expect(inPackage('@azure/storage-queue').length).toBeGreaterThan(0);
    expect({
      'crypto-conditions': inPackage('crypto-conditions'),
      'core-js-pure': inPackage('core-js-pure'),
      '@babel/runtime-corejs3': inPackage('@babel/runtime-corejs3'),
    }).toStrictEqual({ 'crypto-conditions': [], 'core-js-pure': [], '@babel/runtime-corejs3': [] });
  });
});
