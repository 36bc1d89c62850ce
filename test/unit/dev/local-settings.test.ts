import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { ensureLocalSettings } from '../../../dev/local-settings';
import { functionsSettingNames, parseFunctionsSettings } from '../../../shared/settings';

let appRoot: string;
const sample = {
  IsEncrypted: false,
  Values: {
    AzureWebJobsStorage: 'UseDevelopmentStorage=true',
    BIGCHAINDB_URL: 'http://127.0.0.1:9984',
    LEASING_COMPANY_PRIVATE_KEY: '',
    LEDGER_WEBHOOK_SECRET: '',
  },
};
const read = (): { Values: Record<string, string> } =>
  JSON.parse(readFileSync(join(appRoot, 'local.settings.json'), 'utf8')) as { Values: Record<string, string> };

beforeEach(() => {
  appRoot = mkdtempSync(join(tmpdir(), 'local-settings-'));
  writeFileSync(join(appRoot, 'local.settings.sample.json'), JSON.stringify(sample));
});

afterEach(() => rmSync(appRoot, { recursive: true, force: true }));

describe('ensureLocalSettings', () => {
  it('writes the sample with fresh secrets that the Functions settings accept', () => {
    expect(ensureLocalSettings(appRoot)).toEqual([
      'LEASING_COMPANY_PRIVATE_KEY',
      'LEDGER_WEBHOOK_SECRET',
      'FUNCTIONS_HOST_KEY',
    ]);
    const { Values } = read();
    expect(() => parseFunctionsSettings(Values)).not.toThrow();
    expect(Values['BIGCHAINDB_URL']).toBe('http://127.0.0.1:9984');
  });

  it('keeps every value of an existing file and fills only empty secrets', () => {
    writeFileSync(
      join(appRoot, 'local.settings.json'),
      JSON.stringify({
        Values: { BIGCHAINDB_URL: 'http://node:9984', LEDGER_WEBHOOK_SECRET: 'kept-secret-kept-secret-kept-secret!' },
      }),
    );
    expect(ensureLocalSettings(appRoot)).toEqual(['LEASING_COMPANY_PRIVATE_KEY', 'FUNCTIONS_HOST_KEY']);
    const { Values } = read();
    expect(Values['BIGCHAINDB_URL']).toBe('http://node:9984');
    expect(Values['LEDGER_WEBHOOK_SECRET']).toBe('kept-secret-kept-secret-kept-secret!');
    expect(Values['AzureWebJobsStorage']).toBe('UseDevelopmentStorage=true');
  });

  it('makes different secrets on each machine', () => {
    ensureLocalSettings(appRoot);
    const first = read().Values;
    rmSync(join(appRoot, 'local.settings.json'));
    ensureLocalSettings(appRoot);
    expect(read().Values['LEASING_COMPANY_PRIVATE_KEY']).not.toBe(first['LEASING_COMPANY_PRIVATE_KEY']);
  });
});

describe('local.settings.sample.json', () => {
  it('names every setting the Functions app reads, with no secret filled in', () => {
    const { Values } = JSON.parse(readFileSync(join(__dirname, '../../../local.settings.sample.json'), 'utf8')) as {
      Values: Record<string, string>;
    };
    const read = [
      ...functionsSettingNames.required,
      ...Object.keys(functionsSettingNames.optional),
      'AzureWebJobsStorage',
    ];
    expect(Object.keys(Values)).toEqual(expect.arrayContaining(read));
    for (const secret of ['LEASING_COMPANY_PRIVATE_KEY', 'LEDGER_WEBHOOK_SECRET', 'FUNCTIONS_HOST_KEY'])
      expect(Values[secret]).toBe('');
  });
});
