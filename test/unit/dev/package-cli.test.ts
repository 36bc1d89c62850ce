import { join } from 'node:path';

import { formatBuilt, parsePackageArguments } from '../../../dev/package/cli';

describe('npm run package arguments', () => {
  const repoRoot = join('/', 'repo');

  it('build both packages into dist/ by default', () => {
    expect(parsePackageArguments([], repoRoot)).toEqual({ repoRoot, outDir: join(repoRoot, 'dist') });
  });

  it('build one package with --only, into --out', () => {
    expect(parsePackageArguments(['--only', 'relay', '--out', '/tmp/out'], repoRoot)).toEqual({
      repoRoot,
      outDir: '/tmp/out',
      only: ['relay'],
    });
  });

  it('refuse a package name it does not know, naming the ones it does', () => {
    expect(() => parsePackageArguments(['--only', 'web'], repoRoot)).toThrow(
      /^--only must be one of functions, relay, got "web"$/,
    );
  });

  it('refuse an unknown flag', () => {
    expect(() => parsePackageArguments(['--zip'], repoRoot)).toThrow(/'--zip'/);
  });

  it('answer help for -h', () => {
    expect(parsePackageArguments(['-h'], repoRoot)).toBe('help');
  });
});

describe('the summary', () => {
  it('names each zip with its size, entries and bundle', () => {
    const built = {
      name: 'functions' as const,
      zipFile: '/repo/dist/functions.zip',
      stagedDir: '/repo/dist/package/functions',
      entries: ['THIRD-PARTY-NOTICES.txt', 'host.json', 'index.js', 'package.json'],
      zipBytes: 2 * 1024 * 1024,
      bundleBytes: 11.5 * 1024 * 1024,
      bundledPackages: 249,
    };
    expect(formatBuilt([built], '/repo')).toBe(
      'dist/functions.zip  2.0 MB, 4 files (bundle 11.5 MB with 249 npm packages)\n',
    );
  });
});
