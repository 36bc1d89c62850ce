import { STORAGE_LAYOUT } from '../../../dev/provision-storage';
import { functionsSettingNames, relaySettingNames } from '../../../shared/settings';
import { readBicep, stringArrayVariable, stringVariable } from '../../helpers/bicep-source';

// The storage infra/ creates is the storage the code uses: the same queues, tables and checkpoint container the
// local stack provisions (dev/provision-storage.ts) and the settings default to.

const STORAGE = 'app/storage.bicep';

describe('infra/app/storage.bicep', () => {
  it('creates the queues and tables the code names (shared/storage-names.ts)', () => {
    expect(stringArrayVariable(STORAGE, 'queueNames')).toEqual([...STORAGE_LAYOUT.queues]);
    expect(stringArrayVariable(STORAGE, 'tableNames')).toEqual([...STORAGE_LAYOUT.tables]);
  });

  it("creates the relay's checkpoint container under the name both apps default to", () => {
    const container = stringVariable(STORAGE, 'checkpointContainerName');
    expect(container).toBe(relaySettingNames.optional['RELAY_CHECKPOINT_CONTAINER']);
    expect(container).toBe(functionsSettingNames.optional['RELAY_CHECKPOINT_CONTAINER']);
  });

  it('allows no shared-key access, no public blobs and no TLS below 1.2', () => {
    const storage = readBicep(STORAGE);
    for (const line of [
      'allowSharedKeyAccess: false',
      'allowBlobPublicAccess: false',
      "minimumTlsVersion: 'TLS1_2'",
      'supportsHttpsTrafficOnly: true',
    ]) {
      expect(storage).toContain(`\n    ${line}\n`);
    }
  });
});
