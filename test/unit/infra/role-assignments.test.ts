import { arrayVariable, bicepFiles, guidLiterals, readBicep } from '../../helpers/bicep-source';

// The built-in role definition ids infra/app/rbac.bicep may assign. Storage and monitoring roles: azure-functions.md §4
// (Microsoft's Functions quickstart infra/app/rbac.bicep and the queue binding's permissions doc). Key Vault roles: the
// Azure built-in roles list, as public templates cite it (Key Vault Secrets User, Key Vault Secrets Officer).
const DOCUMENTED_ROLES: Readonly<Record<string, string>> = {
  'b7e6dc6d-f1e8-4753-8033-0f276bb0955b': 'Storage Blob Data Owner',
  '974c5e8b-45b9-4653-ba55-5f855dd0fb88': 'Storage Queue Data Contributor',
  '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3': 'Storage Table Data Contributor',
  '3913510d-42f4-4e42-8a64-420c390055eb': 'Monitoring Metrics Publisher',
  '8a0f0c08-91a1-4084-bc3d-661d67233fed': 'Storage Queue Data Message Processor',
  'c6a89b2d-59bc-44d0-9896-0f6e12d7b80a': 'Storage Queue Data Message Sender',
  '19e7f393-937e-4f77-808e-94535e297925': 'Storage Queue Data Reader',
  '4633458b-17de-408a-b874-0445c86b69e6': 'Key Vault Secrets User',
  'b86a8fe4-44ce-4948-aee5-eccb2c155cd7': 'Key Vault Secrets Officer',
};

const RBAC = 'app/rbac.bicep';
const roleVariables = guidLiterals(RBAC);

/** A role assignment declaration of rbac.bicep: the roles it assigns (by name), at which scope, to whom, and whether conditionally. */
interface Assignment {
  readonly symbol: string;
  readonly roles: readonly string[];
  readonly scope: string;
  readonly principal: string;
  readonly conditional: boolean;
}

function assignments(): Assignment[] {
  const roleName = (variable: string): string =>
    roleVariables.find((role) => role.variable === variable)?.comment ?? `<unknown ${variable}>`;
  return readBicep(RBAC)
    .split(/\n(?=resource )/)
    .filter((block) => /^resource \w+ 'Microsoft\.Authorization\/roleAssignments@/.test(block))
    .map((block) => {
      const field = (pattern: RegExp): string => pattern.exec(block)?.[1] ?? `<no ${String(pattern)}>`;
      const loop = /= \[for roleId in (\w+):/.exec(block)?.[1];
      const roleVariablesUsed = loop === undefined ? [field(/roleDefinitions', (\w+)\)/)] : arrayVariable(RBAC, loop);
      return {
        symbol: field(/^resource (\w+)/),
        roles: roleVariablesUsed.map(roleName),
        scope: field(/^ {2,4}scope: (\w+)$/m),
        principal: field(/^ {4,6}principalId: (\w+)$/m),
        conditional: /^[^\n]*= (\[for [^\n:]+: )?if \(!empty\(userPrincipalId\)\) \{$/.test(block.split('\n')[0] ?? ''),
      };
    });
}

describe('infra/app/rbac.bicep', () => {
  it('holds every role definition id in a variable whose comment names the role, each a documented built-in role', () => {
    expect(roleVariables.length).toBeGreaterThan(0);
    for (const { guid, variable, comment } of roleVariables) {
      expect({ guid, inVariable: variable !== undefined, comment }).toEqual({
        guid,
        inVariable: true,
        comment: DOCUMENTED_ROLES[guid],
      });
    }
  });

  it('is the only Bicep file with role definition ids', () => {
    expect(bicepFiles().filter((file) => file !== RBAC && guidLiterals(file).length > 0)).toEqual([]);
  });

  it("gives the apps' identity storage, Key Vault secret reading and metrics publishing, and the deploying principal, when given, what the README's commands need", () => {
    expect(assignments()).toEqual([
      {
        symbol: 'identityStorageRoles',
        roles: ['Storage Blob Data Owner', 'Storage Queue Data Contributor', 'Storage Table Data Contributor'],
        scope: 'storage',
        principal: 'identityPrincipalId',
        conditional: false,
      },
      {
        symbol: 'identitySecretsUser',
        roles: ['Key Vault Secrets User'],
        scope: 'vault',
        principal: 'identityPrincipalId',
        conditional: false,
      },
      {
        symbol: 'identityMetricsPublisher',
        roles: ['Monitoring Metrics Publisher'],
        scope: 'applicationInsights',
        principal: 'identityPrincipalId',
        conditional: false,
      },
      {
        symbol: 'userStorageRoles',
        roles: ['Storage Blob Data Owner', 'Storage Queue Data Contributor', 'Storage Table Data Contributor'],
        scope: 'storage',
        principal: 'userPrincipalId',
        conditional: true,
      },
      {
        symbol: 'userSecretsOfficer',
        roles: ['Key Vault Secrets Officer'],
        scope: 'vault',
        principal: 'userPrincipalId',
        conditional: true,
      },
    ]);
  });

  it('names each assignment guid(scope, principal, role), so that a redeployment finds it again', () => {
    const blocks = readBicep(RBAC)
      .split(/\n(?=resource )/)
      .filter((block) => block.includes("'Microsoft.Authorization/roleAssignments@"));
    for (const block of blocks) {
      const scope = /^ {2,4}scope: (\w+)$/m.exec(block)?.[1];
      const principal = /^ {4,6}principalId: (\w+)$/m.exec(block)?.[1];
      const role = /roleDefinitions', (\w+)\)/.exec(block)?.[1];
      expect(block).toContain(`name: guid(${String(scope)}.id, ${String(principal)}, ${String(role)})`);
    }
  });
});
