import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';

import knownTypes from '../../fixtures/azure-resource-types.json';
import { bicepFiles, INFRA_DIR, moduleReferences, readBicep, resourceDeclarations } from '../../helpers/bicep-source';

// Every resource type and API version infra/ declares must be one the Bicep compiler has types for
// (test/fixtures/azure-resource-types.json says where each was checked); CI's real compile repeats this (BCP081).

const files = bicepFiles();
const declarations = files.flatMap(resourceDeclarations);
const versionsOf = (type: string): string[] =>
  Object.keys((knownTypes.resourceTypes as Record<string, Record<string, string>>)[type] ?? {});

describe('infra/**/*.bicep', () => {
  it('is the main template and one module per concern', () => {
    expect(files).toEqual([
      'app/functions.bicep',
      'app/identity.bicep',
      'app/keyvault.bicep',
      'app/monitoring.bicep',
      'app/rbac.bicep',
      'app/relay.bicep',
      'app/storage.bicep',
      'main.bicep',
    ]);
  });

  it.each(declarations.map((declaration) => [`${declaration.file} ${declaration.symbol}`, declaration] as const))(
    '%s names a resource type and API version Bicep has types for',
    (_, { type, apiVersion }) => {
      expect(versionsOf(type)).toContain(apiVersion);
    },
  );

  it('declares every resource on a line the checks can read', () => {
    const resourceLines = files.flatMap((file) =>
      readBicep(file)
        .split('\n')
        .filter((line) => /^\s*resource\s/.test(line)),
    );
    expect(resourceLines).toHaveLength(declarations.length);
    expect(declarations.length).toBeGreaterThanOrEqual(20);
  });

  it('uses each resource type at one API version only', () => {
    const versions = new Map<string, Set<string>>();
    for (const { type, apiVersion } of declarations)
      versions.set(type, (versions.get(type) ?? new Set()).add(apiVersion));
    expect([...versions].filter(([, seen]) => seen.size > 1)).toEqual([]);
  });

  it('takes modules from local files only: a registry module (br:, ts:) would need the network to build', () => {
    const references = files.flatMap((file) => moduleReferences(file).map((reference) => ({ file, ...reference })));
    expect(references.map(({ path }) => path).sort()).toEqual([
      'app/functions.bicep',
      'app/identity.bicep',
      'app/keyvault.bicep',
      'app/monitoring.bicep',
      'app/rbac.bicep',
      'app/relay.bicep',
      'app/storage.bicep',
    ]);
    for (const { file, path } of references) expect(existsSync(join(INFRA_DIR, dirname(file), path))).toBe(true);
    expect(files.map(readBicep).join('\n')).not.toMatch(/'(br|ts)[:/]/);
  });
});
