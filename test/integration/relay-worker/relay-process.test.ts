import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';

import { BlobServiceClient } from '@azure/storage-blob';
import { QueueServiceClient } from '@azure/storage-queue';

import { type LocalStorage, startLocalStorage } from '../../../dev/azurite/local-storage';
import type { DevNode } from '../../../dev/bigchaindb/dev-node';
import { readLeaseHolder } from '../../../relay-worker/leader-lease';
import { decodeLedgerEvent } from '../../../shared/ledger-event';
import { generateKeyPair } from '../../../shared/transaction/signing';
import { startTestNode } from '../../helpers/dev-node';
import { createTransaction, postRaw } from '../../helpers/transactions';

// The relay as the WebJob runs it: its own process, configured by environment variables.

const repoRoot = join(__dirname, '../../..');
let node: DevNode;
let storage: LocalStorage;

beforeEach(async () => {
  [node, storage] = await Promise.all([startTestNode(), startLocalStorage()]);
});

afterEach(async () => {
  await node.close();
  await storage.close();
});

/** Starts `npm run relay`'s program and resolves once it relays live. */
async function startRelayProcess(): Promise<{ child: ChildProcess; output: string[] }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'relay-worker/main.ts'], {
    cwd: repoRoot,
    env: {
      PATH: process.env['PATH'],
      BIGCHAINDB_URL: node.url,
      AzureWebJobsStorage: storage.connectionString,
      RELAY_INSTANCE_ID: 'relay-under-test',
      RELAY_IDLE_PROBE_MS: '200',
      RELAY_LEASE_SECONDS: '15',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output: string[] = [];
  child.stderr.on('data', (chunk: Buffer) => output.push(chunk.toString()));
  await new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (chunk: Buffer) => {
      output.push(chunk.toString());
      if (output.join('').includes('relaying live')) resolve();
    });
    child.once('exit', (code) =>
      reject(new Error(`relay exited with ${String(code)} before relaying: ${output.join('')}`)),
    );
  });
  return { child, output };
}

test('on SIGTERM the relay finishes, keeps its checkpoint, releases its lease and exits 0; a restart relays what came in between', async () => {
  const alice = generateKeyPair();
  const first = createTransaction(alice, { car: 'before stop' });
  const { child, output } = await startRelayProcess();
  expect((await postRaw(node.apiUrl, first, 'commit')).status).toBe(202);

  child.kill('SIGTERM');
  const [code] = (await once(child, 'exit')) as [number | null];

  expect(code).toBe(0);
  expect(output.join('')).toMatch(/"msg":"shutting down","reason":"SIGTERM"/);
  const container = BlobServiceClient.fromConnectionString(storage.connectionString).getContainerClient(
    'relay-checkpoints',
  );
  expect((await readLeaseHolder(container, 'ledger-events/leader')).state).toBe('available');

  const second = createTransaction(alice, { car: 'while stopped' });
  expect((await postRaw(node.apiUrl, second, 'commit')).status).toBe(202);
  const restarted = await startRelayProcess();
  restarted.child.kill('SIGTERM');
  expect(((await once(restarted.child, 'exit')) as [number | null])[0]).toBe(0);

  const queue = QueueServiceClient.fromConnectionString(storage.connectionString).getQueueClient('ledger-events');
  const { receivedMessageItems } = await queue.receiveMessages({ numberOfMessages: 32 });
  const ids = receivedMessageItems.map(({ messageText }) => decodeLedgerEvent(messageText).transaction_id);
  // Exactly once: the stopping relay confirmed its last block and wrote the checkpoint before exiting.
  expect(ids.sort()).toEqual([first.id, second.id].sort());
});
