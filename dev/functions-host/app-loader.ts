import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';

import { globSync } from 'tinyglobby';

import { type AppRegistrations, collectRegistrations, currentProgrammingModel, installCoreModule } from './core-api';
import type { ProgrammingModel } from './rpc-types';

/** A loaded function app: its folder, entry files, registrations and programming model. */
export interface LoadedApp {
  readonly appRoot: string;
  readonly entryFiles: readonly string[];
  readonly registrations: AppRegistrations;
  readonly programmingModel: ProgrammingModel;
}

/** The app cannot be loaded; names the file and the reason. */
export class AppLoadError extends Error {
  override readonly name = 'AppLoadError';
  readonly code = 'HOST_APP_LOAD_FAILED';
  constructor(
    readonly file: string,
    reason: string,
    options?: ErrorOptions,
  ) {
    super(`cannot load the function app from ${file}: ${reason}`, options);
  }
}

// Node caches modules, so an app's files run once per process; later loads of the same app (a
// host restarted in one test process) get the registrations its first load made.
const loadedApps = new Map<string, LoadedApp>();

/**
 * Loads a v4 Node.js function app as the worker does: the files named by `package.json` `main` (a
 * path or a glob such as `dist/src/{index.js,functions/*.js}`), with `@azure/functions-core`
 * provided, collecting what the app registers. `main` replaces package.json's, e.g. to load TypeScript
 * sources under tsx or jest instead of the build.
 *
 * @throws AppLoadError for a missing or unreadable `package.json`, a `main` matching no file, or an
 *   entry file that throws.
 */
export function loadApp(appRoot: string, main?: string): LoadedApp {
  const root = resolve(appRoot);
  const cached = loadedApps.get(root);
  if (cached) return cached;
  installCoreModule();
  const entryFiles = entryFilesOf(root, main);
  const registrations = collectRegistrations(() => {
    for (const file of entryFiles) {
      try {
        // eslint-disable-next-line @typescript-eslint/no-require-imports -- loads the app's entry files by path at run time, as the Node.js worker does
        require(file);
      } catch (error) {
        throw new AppLoadError(file, error instanceof Error ? error.message : String(error), { cause: error });
      }
    }
  });
  const app = { appRoot: root, entryFiles, registrations, programmingModel: currentProgrammingModel() };
  loadedApps.set(root, app);
  return app;
}

function entryFilesOf(root: string, mainOverride: string | undefined): string[] {
  const manifestPath = resolve(root, 'package.json');
  let main: unknown = mainOverride;
  try {
    main ??= (JSON.parse(readFileSync(manifestPath, 'utf8')) as { main?: unknown }).main;
  } catch (error) {
    throw new AppLoadError(manifestPath, error instanceof Error ? error.message : String(error), { cause: error });
  }
  if (typeof main !== 'string' || main === '')
    throw new AppLoadError(manifestPath, '"main" must name the entry file(s)');
  const files = globSync(main, { cwd: root, absolute: true }).sort();
  if (files.length === 0) throw new AppLoadError(manifestPath, `"main" (${main}) matches no file; is the app built?`);
  return files;
}
