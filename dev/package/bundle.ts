import { join, sep } from 'node:path';

import { build, type Metafile, type Plugin } from 'esbuild';

/**
 * Modules a bundle leaves to `require` at run time rather than shipping, each with the reason. Every other module the
 * entry reaches, ours and node_modules alike, is inside the bundle.
 */
export const RUNTIME_MODULES: Readonly<Record<string, string>> = {
  '@azure/functions-core':
    'the Azure Functions Node.js worker provides it (azure-functions.md §10); a copy would be a stand-in',
  ed25519:
    "crypto-conditions' optional native addon, built by node-gyp for the build machine only; the app signs and verifies with node:crypto, and crypto-conditions falls back to tweetnacl when the require fails",
  bufferutil: "ws's optional native speed-up; ws carries on without it",
  'utf-8-validate': "ws's optional native UTF-8 check; ws carries on without it",
};

/** Node.js version the bundle's syntax targets: the oldest the repo supports (package.json engines), so Azure's Node 22 runs it too. */
export const BUNDLE_TARGET = 'node20';

/** A bundled entry point: where it went, and the npm packages inside it. */
export interface Bundle {
  readonly outfile: string;
  readonly bytes: number;
  /** Folders (absolute) of the npm packages whose files the bundle contains. */
  readonly packageRoots: readonly string[];
}

/**
 * Bundles `entry` (TypeScript) and everything it imports into one CommonJS file for Node, resolving packages the way
 * the compiled app would at run time (below). Nothing is minified, so stack traces still name functions, and each
 * module in the bundle starts with a comment naming its source file.
 *
 * @throws Error with esbuild's messages when an import cannot be resolved or the code does not parse.
 */
export async function bundle(options: {
  readonly entry: string;
  readonly outfile: string;
  readonly repoRoot: string;
}): Promise<Bundle> {
  const result = await build({
    absWorkingDir: options.repoRoot,
    entryPoints: [options.entry],
    outfile: options.outfile,
    bundle: true,
    platform: 'node',
    target: BUNDLE_TARGET,
    format: 'cjs',
    external: Object.keys(RUNTIME_MODULES),
    plugins: [resolveAsRequire],
    legalComments: 'eof',
    metafile: true,
    logLevel: 'silent',
  });
  const output = result.metafile.outputs[relativeTo(options.repoRoot, options.outfile)];
  return {
    outfile: options.outfile,
    bytes: output?.bytes ?? 0,
    packageRoots: packageRootsOf(result.metafile, options.repoRoot),
  };
}

/**
 * tsc (module node16) compiles our `import` statements to `require()`, so at run time Node picks each package's
 * `require` export (its CommonJS build). esbuild would pick the `import` export (the ESM build) for an import
 * statement, and ESM builds use `import.meta.url`, which is empty in a CommonJS bundle; some then fail at load
 * (@azure/storage-common's crc64 calls createRequire(import.meta.url) at top level). Resolving every import statement
 * as a require call makes the bundle hold the very files the compiled app would load.
 */
const resolveAsRequire: Plugin = {
  name: 'resolve-as-require',
  setup(pluginBuild) {
    pluginBuild.onResolve({ filter: /.*/ }, async (args) => {
      if (args.kind !== 'import-statement' || args.pluginData === resolveAsRequire) return undefined;
      const resolved = await pluginBuild.resolve(args.path, {
        kind: 'require-call',
        importer: args.importer,
        resolveDir: args.resolveDir,
        pluginData: resolveAsRequire,
      });
      if (resolved.errors.length > 0) return { errors: resolved.errors };
      return {
        path: resolved.path,
        external: resolved.external,
        namespace: resolved.namespace,
        sideEffects: resolved.sideEffects,
      };
    });
  },
};

function relativeTo(root: string, path: string): string {
  return path.startsWith(root + sep)
    ? path
        .slice(root.length + 1)
        .split(sep)
        .join('/')
    : path;
}

/** The folders of the npm packages whose files are inputs of the bundle (a nested node_modules counts as its own package). */
function packageRootsOf(metafile: Metafile, repoRoot: string): string[] {
  const roots = new Set<string>();
  for (const input of Object.keys(metafile.inputs)) {
    const at = input.lastIndexOf('node_modules/');
    if (at === -1) continue;
    const rest = input.slice(at + 'node_modules/'.length).split('/');
    const name = rest[0]?.startsWith('@') ? `${rest[0]}/${String(rest[1])}` : rest[0];
    if (name) roots.add(join(repoRoot, input.slice(0, at), 'node_modules', name));
  }
  return [...roots].sort();
}
