import { copyFileSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { type Bundle, bundle } from './bundle';
import { describePackages, thirdPartyNotices } from './third-party-notices';
import { zipFolder } from './zip-folder';

/** The deployable packages: the Functions app, and the relay as a continuous WebJob of an App Service web app. */
export const PACKAGE_NAMES = ['functions', 'relay'] as const;
/** One of {@link PACKAGE_NAMES}. */
export type PackageName = (typeof PACKAGE_NAMES)[number];

/** The zip file of each package, in the output folder. */
export const PACKAGE_ZIPS: Readonly<Record<PackageName, string>> = {
  functions: 'functions.zip',
  relay: 'relay-webjob.zip',
};

/** The folder each package is zipped from, under the output folder (azure.yaml's `dist` for azd). */
export const PACKAGE_FOLDERS: Readonly<Record<PackageName, string>> = {
  functions: 'package/functions',
  relay: 'package/relay-webjob',
};

/** Entry file of the Functions package (package.json `main`), at its root beside host.json. */
export const FUNCTIONS_MAIN = 'index.js';

/**
 * The relay's folder inside its package: App Service runs the first `run.*` of each folder under
 * `App_Data/jobs/continuous/` (azure-functions.md §6), and relay-worker/run.js requires `./relay-worker/main.js`.
 */
export const RELAY_JOB_FOLDER = 'App_Data/jobs/continuous/relay';

/** What {@link buildPackages} builds, and where. */
export interface PackageOptions {
  /** The repository: functions/, relay-worker/, shared/, host.json and package.json, with node_modules installed. */
  readonly repoRoot: string;
  /** Gets `functions.zip`, `relay-webjob.zip` and, under `package/`, the folders they were zipped from. */
  readonly outDir: string;
  /** Packages to build; default all. */
  readonly only?: readonly PackageName[];
}

/** A package built. */
export interface BuiltPackage {
  readonly name: PackageName;
  readonly zipFile: string;
  /** The folder zipped (azure.yaml's `dist` for azd, which zips it itself). */
  readonly stagedDir: string;
  /** The zip's entries, sorted. */
  readonly entries: readonly string[];
  readonly zipBytes: number;
  readonly bundleBytes: number;
  /** npm packages inside the bundle. */
  readonly bundledPackages: number;
}

/**
 * Builds the deployable zips from the sources, each around one esbuild bundle (dev/package/bundle.ts): nothing is
 * installed at deploy time, and nothing native goes along.
 *
 * - `functions.zip`: host.json, a package.json whose `main` is the bundle, the bundle `index.js`, THIRD-PARTY-NOTICES.txt.
 * - `relay-webjob.zip`: `App_Data/jobs/continuous/relay/` with run.js, settings.job, `relay-worker/main.js` (the bundle)
 *   and THIRD-PARTY-NOTICES.txt, for the web app's zip deploy.
 *
 * @throws Error when the sources do not bundle (esbuild's messages) or a file cannot be written.
 */
export async function buildPackages(options: PackageOptions): Promise<BuiltPackage[]> {
  mkdirSync(options.outDir, { recursive: true });
  const built: BuiltPackage[] = [];
  for (const name of options.only ?? PACKAGE_NAMES) {
    built.push(name === 'functions' ? await buildFunctionsPackage(options) : await buildRelayPackage(options));
  }
  return built;
}

interface Manifest {
  readonly name: string;
  readonly version: string;
  readonly description?: string;
  readonly license?: string;
  readonly engines?: Readonly<Record<string, string>>;
}

async function buildFunctionsPackage({ repoRoot, outDir }: PackageOptions): Promise<BuiltPackage> {
  const staged = freshFolder(join(outDir, ...PACKAGE_FOLDERS.functions.split('/')));
  const bundled = await bundle({
    entry: join(repoRoot, 'functions', 'index.ts'),
    outfile: join(staged, FUNCTIONS_MAIN),
    repoRoot,
  });
  const { name, version, description, license, engines } = JSON.parse(
    readFileSync(join(repoRoot, 'package.json'), 'utf8'),
  ) as Manifest;
  // No dependencies: they are in the bundle, so nothing asks for an npm install on deploy.
  const manifest = { name, version, description, license, private: true, main: FUNCTIONS_MAIN, engines };
  writeFileSync(join(staged, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  copyFileSync(join(repoRoot, 'host.json'), join(staged, 'host.json'));
  writeNotices(staged, `The ${name} Functions app (${FUNCTIONS_MAIN})`, bundled);
  return finish('functions', staged, join(outDir, PACKAGE_ZIPS.functions), bundled);
}

async function buildRelayPackage({ repoRoot, outDir }: PackageOptions): Promise<BuiltPackage> {
  const staged = freshFolder(join(outDir, ...PACKAGE_FOLDERS.relay.split('/')));
  const job = join(staged, ...RELAY_JOB_FOLDER.split('/'));
  const bundled = await bundle({
    entry: join(repoRoot, 'relay-worker', 'main.ts'),
    outfile: join(job, 'relay-worker', 'main.js'),
    repoRoot,
  });
  for (const file of ['run.js', 'settings.job']) copyFileSync(join(repoRoot, 'relay-worker', file), join(job, file));
  writeNotices(job, 'The relay WebJob (relay-worker/main.js)', bundled);
  return finish('relay', staged, join(outDir, PACKAGE_ZIPS.relay), bundled);
}

function freshFolder(path: string): string {
  rmSync(path, { recursive: true, force: true });
  mkdirSync(path, { recursive: true });
  return path;
}

function writeNotices(folder: string, product: string, bundled: Bundle): void {
  writeFileSync(
    join(folder, 'THIRD-PARTY-NOTICES.txt'),
    thirdPartyNotices(product, describePackages(bundled.packageRoots)),
  );
}

async function finish(name: PackageName, stagedDir: string, zipFile: string, bundled: Bundle): Promise<BuiltPackage> {
  const entries = await zipFolder(stagedDir, zipFile);
  return {
    name,
    zipFile,
    stagedDir,
    entries,
    zipBytes: statSync(zipFile).size,
    bundleBytes: bundled.bytes,
    bundledPackages: bundled.packageRoots.length,
  };
}
