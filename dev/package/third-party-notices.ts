import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** An npm package inside a bundle, as its notice names it. */
export interface BundledPackage {
  readonly name: string;
  readonly version: string;
  readonly license: string;
  /** The package's own license file, when it ships one. */
  readonly licenseText: string | undefined;
}

/** Reads name, version, license and license file of each package folder. */
export function describePackages(packageRoots: readonly string[]): BundledPackage[] {
  return packageRoots.map((root) => {
    const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
      name?: string;
      version?: string;
      license?: unknown;
    };
    const licenseFile = readdirSync(root).find((file) => /^(licen[cs]e|copying)(\.(md|txt))?$/i.test(file));
    return {
      name: manifest.name ?? root,
      version: manifest.version ?? 'unknown',
      license: typeof manifest.license === 'string' ? manifest.license : 'see the package',
      licenseText: licenseFile === undefined ? undefined : readFileSync(join(root, licenseFile), 'utf8').trim(),
    };
  });
}

/**
 * The text of THIRD-PARTY-NOTICES.txt: a bundle copies third-party code, and their licenses (MIT, BSD, Apache-2.0, ISC)
 * ask that their notices travel with every copy. Packages appear once, sorted, each with its license text.
 */
export function thirdPartyNotices(product: string, packages: readonly BundledPackage[]): string {
  const unique = [...new Map(packages.map((pkg) => [`${pkg.name}@${pkg.version}`, pkg])).values()].sort((a, b) =>
    a.name === b.name ? a.version.localeCompare(b.version) : a.name.localeCompare(b.name),
  );
  const sections = unique.map(({ name, version, license, licenseText }) =>
    [
      `${name} ${version} (${license})`,
      licenseText ?? `The package ships no license file; its package.json says: ${license}.`,
    ].join('\n\n'),
  );
  const header = `${product} bundles the following ${unique.length} npm packages. Their notices follow.`;
  return `${[header, ...sections].join(`\n\n${'-'.repeat(80)}\n\n`)}\n`;
}
