import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import { Connection } from 'bigchaindb-driver';

import { encodeRecord } from '../../../dev/bigchaindb/block-log';
import type { DevNode, DevNodeLogEntry, DevNodeOptions } from '../../../dev/bigchaindb/dev-node';
import { generateKeyPair } from '../../../shared/transaction/signing';
import { startTestNode } from '../../helpers/dev-node';
import {
  createTransaction,
  outputTo,
  postRaw,
  type SignedTransaction,
  transferTransaction,
} from '../../helpers/transactions';

const alice = generateKeyPair();
const bob = generateKeyPair();
const carol = generateKeyPair();
const GOLF = { vin: 'WVWZZZ1JZXW000001', make: 'Volkswagen', model: 'Golf' };

let dataDir: string;
let chainFile: string;
const running = new Set<DevNode>();

beforeEach(() => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'devnode-persistence-'));
  chainFile = path.join(dataDir, 'blocks.log');
});

afterEach(async () => {
  try {
    await Promise.all([...running].map(stop));
  } finally {
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
});

async function start(options: DevNodeOptions = { dataDir }): Promise<DevNode> {
  const node = await startTestNode(options);
  running.add(node);
  return node;
}

async function stop(node: DevNode): Promise<void> {
  running.delete(node);
  await node.close();
}

async function restart(node: DevNode, options: DevNodeOptions = { dataDir }): Promise<DevNode> {
  await stop(node);
  return start(options);
}

async function commit(node: DevNode, tx: SignedTransaction): Promise<void> {
  expect(await postRaw(node.apiUrl, tx, 'commit')).toEqual({ status: 202, statusText: 'ACCEPTED', body: tx });
}

/** Status code and exact body text of a GET below the API root, e.g. `200 [1]\n`. */
async function read(node: DevNode, pathAndQuery: string): Promise<string> {
  const response = await fetch(`${node.apiUrl}${pathAndQuery}`);
  return `${response.status} ${await response.text()}`;
}

/** A small chain: a Golf and an i3 issued to alice (blocks 1 and 2), then the Golf handed to bob (block 3). */
interface History {
  readonly golf: SignedTransaction;
  readonly i3: SignedTransaction;
  readonly handover: SignedTransaction;
}

async function commitHistory(node: DevNode): Promise<History> {
  const golf = createTransaction(alice, GOLF, { contract: 'lease 2024-017' });
  const i3 = createTransaction(alice, { vin: 'WBY1Z21000V000002', make: 'BMW', model: 'i3' });
  const handover = transferTransaction([{ tx: golf, outputIndex: 0 }], [outputTo(bob)], [alice], {
    note: 'handed over in Munich',
  });
  for (const tx of [golf, i3, handover]) await commit(node, tx);
  return { golf, i3, handover };
}

/** Every read the chain answers, as status and exact body text, keyed by request. */
async function readEverything(node: DevNode, { golf, i3, handover }: History): Promise<Record<string, string>> {
  const requests = [
    ...[golf, i3, handover].flatMap((tx) => [`transactions/${tx.id}`, `blocks?transaction_id=${tx.id}`]),
    `transactions?asset_id=${golf.id}`,
    `transactions?asset_id=${golf.id}&operation=TRANSFER`,
    `transactions?asset_id=${golf.id}&last_tx=true`,
    `transactions?asset_id=${i3.id}&operation=CREATE`,
    ...[alice, bob].flatMap(({ publicKey }) =>
      ['', '&spent=true', '&spent=false'].map((spent) => `outputs?public_key=${publicKey}${spent}`),
    ),
    'assets?search=Volkswagen',
    'assets?search=WBY1Z21000V000002',
    'metadata?search=Munich',
    'metadata?search=lease',
    ...[0, 1, 2, 3, 4].map((height) => `blocks/${height}`),
  ];
  const replies: Record<string, string> = {};
  for (const request of requests) replies[request] = await read(node, request);
  return replies;
}

describe('a node with a data folder', () => {
  describe('after a restart', () => {
    it('serves every transaction, output, listing, search result and block exactly as before', async () => {
      const first = await start();
      const history = await commitHistory(first);
      const before = await readEverything(first, history);
      const { golf, i3, handover } = history;

      const second = await restart(first);

      expect(fs.readdirSync(dataDir)).toEqual(['blocks.log']);
      expect(await readEverything(second, history)).toEqual(before);
      expect(second.latestHeight).toBe(3);
      const connection = new Connection(second.apiUrl);
      expect(await connection.getTransaction(golf.id)).toEqual(golf);
      expect(await connection.getTransaction(handover.id)).toEqual(handover);
      const output = (tx: SignedTransaction): unknown => ({ transaction_id: tx.id, output_index: 0 });
      expect(await connection.listOutputs(alice.publicKey, true)).toEqual([output(golf)]);
      expect(await connection.listOutputs(alice.publicKey, false)).toEqual([output(i3)]);
      expect(await connection.listOutputs(bob.publicKey, false)).toEqual([output(handover)]);
      expect(await connection.listTransactions(golf.id)).toEqual([golf, handover]);
      expect(await connection.searchAssets('Volkswagen')).toEqual([{ data: GOLF, id: golf.id }]);
      expect(await connection.searchMetadata('Munich')).toEqual([
        { id: handover.id, metadata: { note: 'handed over in Munich' } },
      ]);
      expect([golf, i3, handover].map((tx) => before[`blocks?transaction_id=${tx.id}`])).toEqual([
        '200 [1]\n',
        '200 [2]\n',
        '200 [3]\n',
      ]);
      expect(before['blocks/4']).toBe('404 {"message":"Not found","status":404}\n');
    });

    it('commits the next transaction at the next height, spending an output from before the restart', async () => {
      const first = await start();
      const { i3 } = await commitHistory(first);
      const second = await restart(first);
      const resale = transferTransaction([{ tx: i3, outputIndex: 0 }], [outputTo(carol)], [alice]);

      await commit(second, resale);

      expect(second.latestHeight).toBe(4);
      expect(await new Connection(second.apiUrl).listBlocks(resale.id)).toEqual([4]);
      expect(await read(second, `outputs?public_key=${alice.publicKey}&spent=false`)).toBe('200 []\n');
      const committed = await read(second, `transactions/${resale.id}`);
      const third = await restart(second);
      expect(third.latestHeight).toBe(4);
      expect(await read(third, `transactions/${resale.id}`)).toBe(committed);
    });

    it('still rejects a double spend of an output spent before the restart with the exact message', async () => {
      const first = await start();
      const { golf } = await commitHistory(first);
      const second = await restart(first);
      const doubleSpend = transferTransaction([{ tx: golf, outputIndex: 0 }], [outputTo(carol)], [alice]);

      const reply = await postRaw(second.apiUrl, doubleSpend, 'commit');

      expect(reply).toEqual({
        status: 400,
        statusText: 'BAD REQUEST',
        body: { message: `Invalid transaction (DoubleSpend): input \`${golf.id}\` was already spent`, status: 400 },
      });
      expect(await read(second, `transactions/${doubleSpend.id}`)).toBe('404 {"message":"Not found","status":404}\n');
      expect(second.latestHeight).toBe(3);
    });
  });

  describe('with a torn last record', () => {
    it('drops the torn record on load and starts with every earlier transaction', async () => {
      const first = await start();
      const golf = createTransaction(alice, { vin: 'WVWZZZ1JZXW000001' });
      const i3 = createTransaction(alice, { vin: 'WBY1Z21000V000002' });
      await commit(first, golf);
      await commit(first, i3);
      const beforeGolf = await read(first, `transactions/${golf.id}`);
      const beforeI3 = await read(first, `transactions/${i3.id}`);
      await stop(first);
      const intact = fs.readFileSync(chainFile);
      const later = createTransaction(alice, { vin: 'WF0XXXGCDX0000003' });
      // The first half of the next block's record, as a crash in the middle of an append leaves it: no newline.
      const record = encodeRecord({ height: 3, transactions: [JSON.stringify(later)] });
      const torn = record.subarray(0, Math.floor(record.length / 2));
      fs.appendFileSync(chainFile, torn);
      const logged: DevNodeLogEntry[] = [];

      const second = await start({ dataDir, log: (entry) => logged.push(entry) });

      expect(second.latestHeight).toBe(2);
      expect(await read(second, `transactions/${golf.id}`)).toBe(beforeGolf);
      expect(await read(second, `transactions/${i3.id}`)).toBe(beforeI3);
      expect(await read(second, 'blocks/3')).toBe('404 {"message":"Not found","status":404}\n');
      expect(logged.filter((entry) => entry.level !== 'info')).toEqual([
        {
          level: 'warn',
          msg: 'dropped a torn last record of the chain file',
          filePath: chainFile,
          droppedTornBytes: torn.length,
        },
      ]);
      expect(fs.readFileSync(chainFile)).toEqual(intact);
      expect(await read(second, `transactions/${later.id}`)).toBe('404 {"message":"Not found","status":404}\n');
      await commit(second, later);
      expect(second.latestHeight).toBe(3);
      const third = await restart(second);
      expect(third.latestHeight).toBe(3);
      expect(await new Connection(third.apiUrl).listBlocks(later.id)).toEqual([3]);
    });
  });
});

/**
 * Names in the working directory, and the size of the CLI's default chain file (`.devnode/blocks.log`) if a developer's
 * run left one: a node without `dataDir` must not fall back to that folder.
 */
function workingDirectoryState(): { names: string[]; defaultChainBytes: number | null } {
  const defaultChain = path.join(process.cwd(), '.devnode', 'blocks.log');
  return {
    names: fs.readdirSync(process.cwd()).sort(),
    defaultChainBytes: fs.existsSync(defaultChain) ? fs.statSync(defaultChain).size : null,
  };
}

describe('a node without a data folder', () => {
  it('writes no file and starts empty the next time', async () => {
    const before = workingDirectoryState();
    const tx = createTransaction(alice, { vin: 'WVWZZZ1JZXW000001' });
    const first = await start({});
    await commit(first, tx);
    expect(first.latestHeight).toBe(1);

    const second = await restart(first, {});

    expect(second.latestHeight).toBe(0);
    expect(await read(second, `transactions/${tx.id}`)).toBe('404 {"message":"Not found","status":404}\n');
    expect(workingDirectoryState()).toEqual(before);
  });
});
