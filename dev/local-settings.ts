import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { generateKeyPair } from '../shared/transaction/signing';

// `npm run settings:local`: writes local.settings.json from local.settings.sample.json, filling the secrets the
// sample leaves empty with fresh ones made on this machine. An existing file keeps every value it has; only
// empty secrets are filled in. The file is git-ignored and never printed.

/** The settings whose sample value is empty because they are secrets made per machine. */
const generated: Readonly<Record<string, () => string>> = {
  LEASING_COMPANY_PRIVATE_KEY: () => generateKeyPair().privateKey,
  LEDGER_WEBHOOK_SECRET: () => randomBytes(32).toString('base64url'),
  // Read by the local host only: with it set, function keys are enforced locally as in Azure.
  FUNCTIONS_HOST_KEY: () => randomBytes(24).toString('base64url'),
};

interface LocalSettingsFile {
  IsEncrypted?: boolean;
  Values: Record<string, string>;
  [other: string]: unknown;
}

/**
 * Creates or completes `<appRoot>/local.settings.json` and returns the names of the settings it filled in.
 *
 * @throws Error when the sample or an existing file is not a settings file.
 */
export function ensureLocalSettings(appRoot: string): string[] {
  const target = join(appRoot, 'local.settings.json');
  const sample = readSettings(join(appRoot, 'local.settings.sample.json'));
  const current = existsSync(target) ? readSettings(target) : sample;
  const values = { ...sample.Values, ...current.Values };
  const filled = Object.keys(generated).filter((name) => !values[name]);
  for (const name of filled) values[name] = generated[name]?.() ?? '';
  if (filled.length === 0 && existsSync(target) && Object.keys(values).length === Object.keys(current.Values).length)
    return [];
  writeFileSync(`${target}.tmp`, `${JSON.stringify({ ...current, Values: values }, null, 2)}\n`, { mode: 0o600 });
  renameSync(`${target}.tmp`, target);
  return filled;
}

function readSettings(file: string): LocalSettingsFile {
  const parsed = JSON.parse(readFileSync(file, 'utf8')) as unknown;
  const values = (parsed as { Values?: unknown } | null)?.Values;
  if (typeof values !== 'object' || values === null) throw new Error(`${file}: "Values" must be an object of strings`);
  return parsed as LocalSettingsFile;
}

if (require.main === module) {
  const filled = ensureLocalSettings(process.cwd());
  process.stdout.write(
    filled.length === 0
      ? 'local.settings.json is complete\n'
      : `local.settings.json: generated ${filled.join(', ')} (kept out of git)\n`,
  );
}
