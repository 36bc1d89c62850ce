import { readBicep } from '../../helpers/bicep-source';

// What infra/ promises beyond the app settings: keys off everywhere, and the hosting the product needs.

/** Whether `file` has `line` at exactly `indent` spaces. */
const hasLine = (file: string, indent: number, line: string): boolean =>
  readBicep(file)
    .split('\n')
    .includes(`${' '.repeat(indent)}${line}`);

describe('infra/', () => {
  it('keeps the signing key and the webhook secret in a Key Vault that authorizes with Azure RBAC', () => {
    expect(hasLine('app/keyvault.bicep', 4, 'enableRbacAuthorization: true')).toBe(true);
    expect(readBicep('app/keyvault.bicep')).toMatch(
      /^@secure\(\)\n@description\([^\n]+\)\nparam leasingCompanyPrivateKey string$/m,
    );
    expect(readBicep('app/keyvault.bicep')).toMatch(
      /^@secure\(\)\n@description\([^\n]+\)\nparam ledgerWebhookSecret string$/m,
    );
    expect(readBicep('main.bicep')).toMatch(
      /^@secure\(\)\n@description\([^\n]+\)\nparam leasingCompanyPrivateKey string$/m,
    );
    expect(readBicep('main.bicep')).toMatch(/^@secure\(\)\n@description\([^\n]+\)\nparam ledgerWebhookSecret string$/m);
  });

  it('turns Application Insights local (key) authentication off', () => {
    expect(hasLine('app/monitoring.bicep', 4, 'DisableLocalAuth: true')).toBe(true);
  });

  it.each(['app/functions.bicep', 'app/relay.bicep'])(
    '%s: HTTPS only, TLS 1.2, no FTP, and no publishing user names or passwords',
    (file) => {
      expect(hasLine(file, 4, 'httpsOnly: true')).toBe(true);
      expect(hasLine(file, 6, "minTlsVersion: '1.2'")).toBe(true);
      expect(hasLine(file, 6, "ftpsState: 'Disabled'")).toBe(true);
      for (const policy of ['ftp', 'scm']) {
        expect(readBicep(file)).toMatch(
          new RegExp(
            `'Microsoft\\.Web/sites/basicPublishingCredentialsPolicies@[\\d-]+' = \\{\\n {2}parent: \\w+\\n {2}name: '${policy}'\\n {2}properties: \\{\\n {4}allow: false\\n`,
          ),
        );
      }
    },
  );

  it('runs the Functions app on Flex Consumption with Node 22, deploying from its blob container as the identity', () => {
    const functions = readBicep('app/functions.bicep');
    expect(functions).toContain("sku: {\n    name: 'FC1'\n    tier: 'FlexConsumption'\n  }");
    expect(functions).toContain("runtime: {\n        name: 'node'\n        version: '22'\n      }");
    expect(functions).toContain("type: 'blobContainer'");
    expect(functions).toContain(
      "authentication: {\n            type: 'UserAssignedIdentity'\n            userAssignedIdentityResourceId: identityId\n          }",
    );
  });

  it('runs the relay WebJob on a Linux Node 22 web app with Always On, on a plan of a tier that has it', () => {
    const relay = readBicep('app/relay.bicep');
    expect(hasLine('app/relay.bicep', 6, "linuxFxVersion: 'NODE|22-lts'")).toBe(true);
    expect(hasLine('app/relay.bicep', 6, 'alwaysOn: true')).toBe(true);
    const skus = /@allowed\(\[\n((?: {2}'\w+'\n)+)\]\)\nparam skuName string = 'B1'/.exec(relay)?.[1];
    // Free (F1) and Shared (D1) plans have no Always On, and WebJobs stop when the app idles.
    expect(skus?.match(/\w+/g)).toEqual(expect.arrayContaining(['B1']));
    expect(skus?.match(/\w+/g)?.filter((sku) => /^[FD]\d/.test(sku))).toEqual([]);
  });
});
