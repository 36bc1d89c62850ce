import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { PACKAGE_FOLDERS, type PackageName } from '../../../dev/package/packages';
import { bicepFiles, readBicep } from '../../helpers/bicep-source';

// azure.yaml, infra/main.parameters.json and the templates agree with each other and with `npm run package`, so
// that `azd up` provisions, finds each service's resource by its tag and deploys the package built for it.

const repoRoot = join(__dirname, '../../..');
const azureYaml = readFileSync(join(repoRoot, 'azure.yaml'), 'utf8');

/** The lines of azure.yaml's `services.<name>` block. */
function serviceBlock(name: string): string {
  const match = new RegExp(`^ {2}${name}:\\n((?: {4,}.*\\n)+)`, 'm').exec(azureYaml);
  if (!match) throw new Error(`azure.yaml: no service ${name}`);
  return match[1] as string;
}

const SERVICES: readonly {
  readonly service: string;
  readonly host: string;
  readonly pkg: PackageName;
  readonly bicep: string;
}[] = [
  { service: 'api', host: 'function', pkg: 'functions', bicep: 'app/functions.bicep' },
  { service: 'relay', host: 'appservice', pkg: 'relay', bicep: 'app/relay.bicep' },
];

describe('azure.yaml', () => {
  it('has exactly the two services', () => {
    const services = /^services:\n((?: {2}.*\n|\n)+)/m.exec(azureYaml)?.[1] ?? '';
    expect([...services.matchAll(/^ {2}(\w+):$/gm)].map((match) => match[1])).toEqual(['api', 'relay']);
  });

  it.each(SERVICES)(
    'deploys $service to the $host tagged azd-service-name: $service, from the folder npm run package stages',
    ({ service, host, pkg, bicep }) => {
      const block = serviceBlock(service);
      expect(block).toContain(`    host: ${host}\n`);
      expect(block).toContain(`    dist: dist/${PACKAGE_FOLDERS[pkg]}\n`);
      expect(block.match(/run: (.+)/g)).toEqual([
        `run: npm run package -- --only ${pkg}`,
        `run: npm run package -- --only ${pkg}`,
      ]);
      expect(readBicep(bicep)).toContain(`tags: union(tags, {\n    'azd-service-name': '${service}'\n  })`);
    },
  );

  it('never builds the Functions package remotely: it is a finished bundle', () => {
    expect(serviceBlock('api')).toContain('    remoteBuild: false\n');
  });
});

describe('infra/main.parameters.json', () => {
  const parameters = (
    JSON.parse(readFileSync(join(repoRoot, 'infra', 'main.parameters.json'), 'utf8')) as {
      parameters: Record<string, { value: string }>;
    }
  ).parameters;
  const declared = [...readBicep('main.bicep').matchAll(/^param (\w+) (\w+)( = .+)?$/gm)].map((match) => ({
    name: match[1] as string,
    hasDefault: match[3] !== undefined,
  }));

  it('gives every parameter of main.bicep without a default from the azd environment, and nothing else', () => {
    expect(
      declared
        .filter(({ hasDefault }) => !hasDefault)
        .map(({ name }) => name)
        .filter((name) => !(name in parameters)),
    ).toEqual([]);
    expect(Object.keys(parameters).filter((name) => !declared.some((param) => param.name === name))).toEqual([]);
    for (const [name, { value }] of Object.entries(parameters))
      expect({ name, value }).toEqual({ name, value: expect.stringMatching(/^\$\{[A-Z][A-Z0-9_]*\}$/) });
  });

  it('takes environment name, location and principal from azd', () => {
    expect(parameters).toMatchObject({
      environmentName: { value: '${AZURE_ENV_NAME}' },
      location: { value: '${AZURE_LOCATION}' },
      principalId: { value: '${AZURE_PRINCIPAL_ID}' },
    });
  });
});

describe('infra/**/*.bicep', () => {
  it('describes every parameter (@description)', () => {
    for (const file of bicepFiles()) {
      const lines = readBicep(file).split('\n');
      lines.forEach((line, index) => {
        if (!line.startsWith('param ')) return;
        const decorators: string[] = [];
        for (
          let at = index - 1;
          at >= 0 && !/^(param |var |resource |module |output |targetScope|\/\/|$)/.test(lines[at] ?? '');
          at--
        )
          decorators.push(lines[at] ?? '');
        expect({
          file,
          line,
          described: decorators.some((decorator) => decorator.startsWith('@description(')),
        }).toEqual({ file, line, described: true });
      });
    }
  });

  it('names the outputs of main.bicep in UPPER_SNAKE, as azd stores them', () => {
    const outputs = [...readBicep('main.bicep').matchAll(/^output (\S+) /gm)].map((match) => match[1]);
    expect(outputs.length).toBeGreaterThan(0);
    expect(outputs.filter((name) => !/^[A-Z][A-Z0-9_]*$/.test(name ?? ''))).toEqual([]);
  });
});
