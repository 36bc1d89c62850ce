import { join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';

import { buildPackages, type BuiltPackage, PACKAGE_NAMES, type PackageName, type PackageOptions } from './packages';

const USAGE = `Usage: npm run package -- [options]

Builds the deployable packages from the sources (no prior npm run build needed):
  dist/functions.zip      the Functions app: host.json, package.json, one bundled index.js
  dist/relay-webjob.zip   the relay as a continuous WebJob: App_Data/jobs/continuous/relay/
and, under dist/package/, the folders they are zipped from (azd deploys those).

Options:
  --only <name>   functions or relay: build that package alone
  --out <dir>     output folder (default dist)
  -h, --help      show this help
`;

/** Parses the command line; throws with a clear message on a bad flag. */
export function parsePackageArguments(args: readonly string[], repoRoot: string): PackageOptions | 'help' {
  const { values } = parseArgs({
    args: [...args],
    strict: true,
    options: { only: { type: 'string' }, out: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
  });
  if (values.help) return 'help';
  if (values.only !== undefined && !(PACKAGE_NAMES as readonly string[]).includes(values.only)) {
    throw new Error(`--only must be one of ${PACKAGE_NAMES.join(', ')}, got "${values.only}"`);
  }
  return {
    repoRoot,
    outDir: resolve(values.out ?? join(repoRoot, 'dist')),
    ...(values.only === undefined ? {} : { only: [values.only as PackageName] }),
  };
}

const megabytes = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(1)} MB`;

/** One line per package: zip, size, entries, and what the bundle holds. */
export function formatBuilt(built: readonly BuiltPackage[], cwd: string): string {
  return built
    .map(
      ({ zipFile, zipBytes, entries, bundleBytes, bundledPackages }) =>
        `${relative(cwd, zipFile)}  ${megabytes(zipBytes)}, ${entries.length} files (bundle ${megabytes(bundleBytes)} with ${bundledPackages} npm packages)\n`,
    )
    .join('');
}

async function main(): Promise<void> {
  let options: ReturnType<typeof parsePackageArguments>;
  try {
    options = parsePackageArguments(process.argv.slice(2), join(__dirname, '..', '..'));
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n\n${USAGE}`);
    process.exitCode = 2;
    return;
  }
  if (options === 'help') {
    process.stdout.write(USAGE);
    return;
  }
  process.stdout.write(formatBuilt(await buildPackages(options), process.cwd()));
}

if (require.main === module) {
  main().catch((error: unknown) => {
    process.stderr.write(`packaging failed: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  });
}
