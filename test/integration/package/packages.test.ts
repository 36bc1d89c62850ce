import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { QueueServiceClient } from '@azure/storage-queue';
import { stop as stopEsbuild } from 'esbuild';

import { type LocalStorage, startLocalStorage } from '../../../dev/azurite/local-storage';
import type { DevNode } from '../../../dev/bigchaindb/dev-node';
import { type RunningHost, startHost } from '../../../dev/functions-host/host';
import { buildPackages, type BuiltPackage, FUNCTIONS_MAIN, RELAY_JOB_FOLDER } from '../../../dev/package/packages';
import { provisionStorage } from '../../../dev/provision-storage';
import { decodeLedgerEvent } from '../../../shared/ledger-event';
import { parseFunctionsSettings } from '../../../shared/settings';
import { generateKeyPair } from '../../../shared/transaction/signing';
import { startTestNode } from '../../helpers/dev-node';
import { generateTestCertificate, type IngestionServer, startIngestionServer } from '../../helpers/ingestion-server';
import { waitForQueueLength } from '../../helpers/ledger-queue';
import { createTransaction, postRaw } from '../../helpers/transactions';
import { startWebJob } from '../../helpers/webjob-process';
import { unzip, zipEntries } from '../../helpers/zip-archive';

// The deployable packages, built from the sources once for this file, then each unpacked and started as Azure
// would start it: the Functions app by the local host, the relay by `node run.js` in its WebJob folder.

const repoRoot = join(__dirname, '../../..');
let workDir: string;
let functionsZip: BuiltPackage;
let relayZip: BuiltPackage;
let node: DevNode;
let storage: LocalStorage;

beforeAll(async () => {
  workDir = await mkdtemp(join(tmpdir(), 'packages-'));
  const [built, startedNode, startedStorage] = await Promise.all([
    buildPackages({ repoRoot, outDir: join(workDir, 'dist') }),
    startTestNode(),
    startLocalStorage(),
  ]);
  [functionsZip, relayZip] = built as [BuiltPackage, BuiltPackage];
  node = startedNode;
  storage = startedStorage;
  const settings = parseFunctionsSettings(appSettings());
  await provisionStorage(settings.storage, settings.checkpointContainer);
}, 90_000);

afterAll(async () => {
  // esbuild keeps its service process after a build; under jest it holds the run open until stopped.
  await stopEsbuild();
  // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- unset if beforeAll failed before assigning them
  await Promise.all([node?.close(), storage?.close()]);
  if (workDir) await rm(workDir, { recursive: true, force: true });
});

/** The Functions app's settings against this file's Azurite and dev node. */
function appSettings(): Record<string, string> {
  return {
    AzureWebJobsStorage: storage.connectionString,
    BIGCHAINDB_URL: node.url,
    LEASING_COMPANY_PRIVATE_KEY: generateKeyPair().privateKey,
    LEDGER_WEBHOOK_SECRET: 'webhook-secret-of-at-least-32-characters',
  };
}

describe('functions.zip', () => {
  it('holds host.json, a package.json whose main is the bundle, the bundle and its notices, and no node_modules', async () => {
    expect(functionsZip.zipFile).toBe(join(workDir, 'dist', 'functions.zip'));
    expect(await zipEntries(functionsZip.zipFile)).toEqual([
      'THIRD-PARTY-NOTICES.txt',
      'host.json',
      FUNCTIONS_MAIN,
      'package.json',
    ]);
    const manifest = JSON.parse(readFileSync(join(functionsZip.stagedDir, 'package.json'), 'utf8')) as Record<
      string,
      unknown
    >;
    expect(manifest).toMatchObject({ main: FUNCTIONS_MAIN, private: true, engines: { node: '>=20' } });
    expect(manifest).not.toHaveProperty('dependencies');
    expect(readFileSync(join(functionsZip.stagedDir, 'host.json'), 'utf8')).toBe(
      readFileSync(join(repoRoot, 'host.json'), 'utf8'),
    );
    const bundle = readFileSync(join(functionsZip.stagedDir, FUNCTIONS_MAIN), 'utf8');
    // The worker provides @azure/functions-core: the bundle asks for it and carries no copy of its own.
    expect(bundle).toContain('require("@azure/functions-core")');
    expect(bundle).not.toMatch(/node_modules\/@azure\/functions-core\//);
    expect(bundle).not.toMatch(/\bimport\.meta\.url\b.*createRequire|createRequire\(import_meta\d*\.url\)/);
    expect(readFileSync(join(functionsZip.stagedDir, 'THIRD-PARTY-NOTICES.txt'), 'utf8')).toMatch(
      /^@azure\/functions 4\.\d+\.\d+ \(MIT\)$/m,
    );
  });

  it('unpacked, loads every function on the local host and answers GET /api/health with 200', async () => {
    const appRoot = join(workDir, 'functions-app');
    await unzip(functionsZip.zipFile, appRoot);
    const registered = [
      ...readFileSync(join(repoRoot, 'functions', 'index.ts'), 'utf8').matchAll(/app\.\w+\('(\w+)'/g),
    ].map((match) => match[1]);
    let host: RunningHost | undefined;
    try {
      host = await startHost({ appRoot, port: 0, settings: { ...appSettings(), FUNCTIONS_WORKER_RUNTIME: 'node' } });
      expect(host.functions.map(({ name }) => name).sort()).toEqual([...registered].sort());
      const response = await fetch(`${host.url}/api/health`);
      expect({ status: response.status, body: await response.json() }).toMatchObject({
        status: 200,
        body: { status: 'ok', bigchainDb: { ok: true }, storage: { ok: true, ledgerEventsDepth: 0 } },
      });
    } finally {
      await host?.close();
    }
  });
});

describe('relay-webjob.zip', () => {
  const job = (file: string): string => join(workDir, 'relay-webapp', ...RELAY_JOB_FOLDER.split('/'), file);

  it('holds the continuous WebJob relay: run.js, settings.job, the bundle run.js requires, and its notices', async () => {
    expect(relayZip.zipFile).toBe(join(workDir, 'dist', 'relay-webjob.zip'));
    expect(await zipEntries(relayZip.zipFile)).toEqual(
      ['THIRD-PARTY-NOTICES.txt', 'relay-worker/main.js', 'run.js', 'settings.job'].map(
        (file) => `${RELAY_JOB_FOLDER}/${file}`,
      ),
    );
    const jobFolder = join(relayZip.stagedDir, ...RELAY_JOB_FOLDER.split('/'));
    expect(readFileSync(join(jobFolder, 'run.js'), 'utf8')).toMatch(/^require\('\.\/relay-worker\/main\.js'\);$/m);
    expect(JSON.parse(readFileSync(join(jobFolder, 'settings.job'), 'utf8'))).toEqual({
      is_singleton: true,
      stopping_wait_time: 30,
    });
  });

  it('unpacked, runs as App Service runs the WebJob: takes the lease, relays a committed transaction, reports telemetry, exits 0 on SIGTERM', async () => {
    await unzip(relayZip.zipFile, join(workDir, 'relay-webapp'));
    const certificate = await generateTestCertificate();
    const caFile = join(workDir, 'ingestion-ca.pem');
    await writeFile(caFile, certificate.cert);
    let ingestion: IngestionServer | undefined;
    try {
      ingestion = await startIngestionServer({ certificate });
      const relay = startWebJob(job(''), {
        BIGCHAINDB_URL: node.url,
        AzureWebJobsStorage: storage.connectionString,
        RELAY_LEASE_SECONDS: '15',
        APPLICATIONINSIGHTS_CONNECTION_STRING: `InstrumentationKey=00000000-0000-4000-8000-000000000000;IngestionEndpoint=${ingestion.url}`,
        // The child trusts the test ingestion server's certificate the standard way.
        NODE_EXTRA_CA_CERTS: caFile,
      });
      await relay.waitForLog(/^leader lease acquired; relaying$/);
      const metrics = ingestion.waitForRequest(({ body }) => body.includes('"RelayedEvents"'));
      const transaction = createTransaction(generateKeyPair(), { data: { package: 'relay-webjob.zip' } });
      expect((await postRaw(node.apiUrl, transaction, 'commit')).status).toBe(202);
      const queue = QueueServiceClient.fromConnectionString(storage.connectionString).getQueueClient('ledger-events');
      await waitForQueueLength(queue, 1);
      const { receivedMessageItems } = await queue.receiveMessages({ numberOfMessages: 32 });
      expect(receivedMessageItems.map(({ messageText }) => decodeLedgerEvent(messageText).transaction_id)).toContain(
        transaction.id,
      );

      expect(await relay.stop('SIGTERM')).toEqual({ code: 0, signal: null });
      expect((await metrics).body).toContain('"relay-worker"');
    } finally {
      await ingestion?.close();
    }
  });
});
