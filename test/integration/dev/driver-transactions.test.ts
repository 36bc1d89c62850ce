import { Connection, Transaction } from 'bigchaindb-driver';

import type { DevNode } from '../../../dev/bigchaindb/dev-node';
import { generateKeyPair, type KeyPair, signTransaction } from '../../../shared/transaction/signing';
import { startTestNode } from '../../helpers/dev-node';
import { type StreamSubscriber, subscribe } from '../../helpers/stream-subscriber';
import { createTransaction, outputTo, type SignedTransaction, transferTransaction } from '../../helpers/transactions';

// The official bigchaindb-driver, over real HTTP, against the dev node.

let node: DevNode;
let connection: Connection;
let alice: KeyPair;
let bob: KeyPair;

beforeAll(async () => {
  node = await startTestNode();
  connection = new Connection(node.apiUrl);
});

afterAll(() => node.close());

beforeEach(() => {
  alice = generateKeyPair();
  bob = generateKeyPair();
});

type Post = (tx: SignedTransaction) => Promise<unknown>;
const modes: [string, (c: Connection) => Post][] = [
  ['commit', (c) => (tx) => c.postTransactionCommit(tx as never)],
  ['sync', (c) => (tx) => c.postTransactionSync(tx as never)],
  ['async', (c) => (tx) => c.postTransactionAsync(tx as never)],
];

describe.each(modes)('posting in %s mode', (_mode, poster) => {
  let stream: StreamSubscriber;
  beforeEach(async () => {
    stream = await subscribe(node.streamUrl);
  });
  afterEach(() => stream.close());

  test('a CREATE signed by the driver is committed and read back unchanged', async () => {
    const unsigned = Transaction.makeCreateTransaction(
      { vin: 'WVWZZZ1KZAW000001', make: 'Volkswagen' },
      { registeredBy: 'leasing company' },
      [outputTo(alice)],
      alice.publicKey,
    );
    const signed = Transaction.signTransaction(unsigned, alice.privateKey);

    const echo = await poster(connection)(signed as unknown as SignedTransaction);
    await stream.waitFor(signed.id);

    expect(echo).toEqual(signed);
    expect(await connection.getTransaction(signed.id)).toEqual(signed);
  });

  test('a TRANSFER signed by the driver moves the asset to the new owner', async () => {
    const created = createTransaction(alice, { car: 'transfer' });
    await connection.postTransactionCommit(created as never);
    const unsigned = Transaction.makeTransferTransaction([{ tx: created as never, output_index: 0 }], [outputTo(bob)], {
      lessee: 'bob',
    });
    const transfer = Transaction.signTransaction(unsigned, alice.privateKey);

    await poster(connection)(transfer as unknown as SignedTransaction);
    await stream.waitFor(transfer.id);

    expect(await connection.listOutputs(bob.publicKey)).toEqual([{ transaction_id: transfer.id, output_index: 0 }]);
    expect(await connection.listOutputs(alice.publicKey, true)).toEqual([
      { transaction_id: created.id, output_index: 0 },
    ]);
  });
});

describe('divisible assets', () => {
  test('ten shares split into three outputs and merge back into one', async () => {
    const created = createTransaction(alice, { fleet: 'shares' }, null, [outputTo(alice, '10')]);
    await connection.postTransactionCommit(created as never);
    const split = transferTransaction(
      [{ tx: created, outputIndex: 0 }],
      [outputTo(bob, '3'), outputTo(bob, '4'), outputTo(alice, '3')],
      [alice],
    );
    await connection.postTransactionCommit(split as never);
    const merge = transferTransaction(
      [
        { tx: split, outputIndex: 0 },
        { tx: split, outputIndex: 1 },
      ],
      [outputTo(alice, '7')],
      [bob, bob],
    );

    await connection.postTransactionCommit(merge as never);

    expect(await connection.listOutputs(alice.publicKey, false)).toEqual([
      { transaction_id: split.id, output_index: 2 },
      { transaction_id: merge.id, output_index: 0 },
    ]);
    expect(await connection.listOutputs(bob.publicKey, false)).toEqual([]);
    expect(await connection.listOutputs(bob.publicKey, true)).toEqual([
      { transaction_id: split.id, output_index: 0 },
      { transaction_id: split.id, output_index: 1 },
    ]);
  });
});

describe('a 1-of-2 threshold output', () => {
  async function leaseToThreshold(): Promise<SignedTransaction> {
    const created = createTransaction(alice, { car: 'threshold' });
    await connection.postTransactionCommit(created as never);
    const condition = Transaction.makeThresholdCondition(1, [
      Transaction.makeEd25519Condition(bob.publicKey, false),
      Transaction.makeEd25519Condition(alice.publicKey, false),
    ]);
    const lease = transferTransaction([{ tx: created, outputIndex: 0 }], [Transaction.makeOutput(condition)], [alice]);
    await connection.postTransactionCommit(lease as never);
    return lease;
  }

  test('is listed among the outputs of both of its keys', async () => {
    const lease = await leaseToThreshold();

    const expected = [{ transaction_id: lease.id, output_index: 0 }];
    expect(await connection.listOutputs(bob.publicKey, false)).toEqual(expected);
    expect(await connection.listOutputs(alice.publicKey, false)).toEqual(expected);
  });

  test.each([
    ['the first key (the lessee)', () => bob],
    ['the second key (the company)', () => alice],
  ])('can be spent by %s alone', async (_who, signer) => {
    const lease = await leaseToThreshold();
    const back = transferTransaction([{ tx: lease, outputIndex: 0 }], [outputTo(alice)], [signer()]);

    await connection.postTransactionCommit(back as never);

    expect(await connection.getTransaction(back.id)).toEqual(back);
    expect(await connection.listOutputs(bob.publicKey, true)).toEqual([{ transaction_id: lease.id, output_index: 0 }]);
  });

  test('cannot be spent by a third key', async () => {
    const lease = await leaseToThreshold();
    const mallory = generateKeyPair();
    const unsigned = Transaction.makeTransferTransaction(
      [{ tx: lease as never, output_index: 0 }],
      [outputTo(mallory)],
      null as never,
    );
    const forged = signTransaction(unsigned, [mallory], [{ type: 'ed25519-sha-256', public_key: mallory.publicKey }]);

    await expect(connection.postTransactionCommit(forged as never)).rejects.toMatchObject({
      status: '400 BAD REQUEST',
    });
  });
});

describe('queries', () => {
  test('listTransactions finds the CREATE and the TRANSFERs of an asset, filtered by operation', async () => {
    const created = createTransaction(alice, { car: 'history' });
    await connection.postTransactionCommit(created as never);
    const first = transferTransaction([{ tx: created, outputIndex: 0 }], [outputTo(bob)], [alice]);
    await connection.postTransactionCommit(first as never);
    const second = transferTransaction([{ tx: first, outputIndex: 0 }], [outputTo(alice)], [bob]);
    await connection.postTransactionCommit(second as never);

    const ids = (txs: { id: string }[]): string[] => txs.map(({ id }) => id);
    expect(ids(await connection.listTransactions(created.id))).toEqual([created.id, first.id, second.id]);
    expect(ids(await connection.listTransactions(created.id, 'CREATE' as never))).toEqual([created.id]);
    expect(ids(await connection.listTransactions(created.id, 'TRANSFER' as never))).toEqual([first.id, second.id]);
  });

  test('searchAssets and searchMetadata find whole, stemmed words', async () => {
    const marker = `marker${Date.now()}`;
    const created = createTransaction(
      alice,
      { model: `Golf ${marker}`, colour: 'racing green' },
      { note: `leased ${marker}` },
    );
    await connection.postTransactionCommit(created as never);

    expect(await connection.searchAssets(marker)).toEqual([
      { data: { model: `Golf ${marker}`, colour: 'racing green' }, id: created.id },
    ]);
    expect(await connection.searchMetadata(marker)).toEqual([
      { id: created.id, metadata: { note: `leased ${marker}` } },
    ]);
    expect(await connection.searchAssets(`race ${marker}`)).toHaveLength(1);
    expect(await connection.searchAssets(marker.slice(0, -1))).toEqual([]);
  });

  test('listBlocks names the block of a transaction and getBlock holds it', async () => {
    const created = createTransaction(alice, { car: 'block' });
    await connection.postTransactionCommit(created as never);

    const heights = await connection.listBlocks(created.id);
    expect(heights).toEqual([node.latestHeight]);
    const block = await connection.getBlock(heights[0] as number);
    expect(block).toEqual({ height: node.latestHeight, transactions: [created] });
  });

  test('an unknown URL reaches the driver as 404 NOT FOUND', async () => {
    const wrong = new Connection(`${node.url}/api/wrong/`);

    await expect(wrong.getTransaction('transactionId')).rejects.toMatchObject({
      status: '404 NOT FOUND',
      requestURI: `${node.url}/api/wrong/transactions/transactionId`,
    });
  });
});
