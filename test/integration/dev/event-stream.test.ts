import { once } from 'node:events';

import { Connection } from 'bigchaindb-driver';
import { type RawData, WebSocket } from 'ws';

import type { DevNode, DevNodeOptions } from '../../../dev/bigchaindb/dev-node';
import { generateKeyPair } from '../../../shared/transaction/signing';
import { startTestNode } from '../../helpers/dev-node';
import {
  createTransaction,
  outputTo,
  postRaw,
  type SignedTransaction,
  transferTransaction,
} from '../../helpers/transactions';

const STREAM_PATH = '/api/v1/streams/valid_transactions';

const alice = generateKeyPair();
const bob = generateKeyPair();
const carol = generateKeyPair();

const nodes: DevNode[] = [];
const sockets: WebSocket[] = [];

async function startNode(options: DevNodeOptions = {}): Promise<DevNode> {
  const node = await startTestNode(options);
  nodes.push(node);
  return node;
}

afterEach(async () => {
  try {
    await Promise.all(sockets.splice(0).map(closeSocket));
  } finally {
    await Promise.all(nodes.splice(0).map((node) => node.close()));
  }
});

async function closeSocket(socket: WebSocket): Promise<void> {
  if (socket.readyState === WebSocket.CLOSED) return;
  const closed = once(socket, 'close');
  socket.terminate();
  await closed;
}

/** A WebSocket client, closed after each test. */
function track(socket: WebSocket): WebSocket {
  sockets.push(socket);
  return socket;
}

/** A connected client that records every frame, in arrival order. */
interface Subscriber {
  readonly socket: WebSocket;
  /** Every frame so far; a binary frame is recorded as `<binary N bytes>` so that it fails any exact comparison. */
  readonly frames: string[];
  /** Whether the socket emitted `close`. */
  readonly closed: boolean;
  /** Resolves with the first `count` frames once they have arrived; rejects if the socket closes first. */
  framesUntil(count: number): Promise<string[]>;
}

async function subscribe(url: string): Promise<Subscriber> {
  const socket = track(new WebSocket(url));
  const frames: string[] = [];
  const waiters = new Set<() => void>();
  let closed = false;
  const wake = (): void => waiters.forEach((waiter) => waiter());
  socket.on('message', (data: RawData, isBinary: boolean) => {
    // binaryType is 'nodebuffer' (the default), so every frame arrives as one Buffer.
    const bytes = data as Buffer;
    frames.push(isBinary ? `<binary ${bytes.length} bytes>` : bytes.toString('utf8'));
    wake();
  });
  socket.on('close', () => {
    closed = true;
    wake();
  });
  await once(socket, 'open');
  return {
    socket,
    frames,
    get closed() {
      return closed;
    },
    framesUntil: (count) =>
      new Promise((resolve, reject) => {
        const check = (): void => {
          if (frames.length >= count) resolve(frames.slice(0, count));
          else if (closed) reject(new Error(`socket closed after ${frames.length} of ${count} frames`));
          else return;
          waiters.delete(check);
        };
        waiters.add(check);
        check();
      }),
  };
}

/** The exact text of an event (spec §7): Python `json.dumps` separators and key order. */
function frame(height: number, assetId: string, transactionId: string): string {
  return `{"height": ${height}, "asset_id": "${assetId}", "transaction_id": "${transactionId}"}`;
}

function assetIdOf(tx: SignedTransaction): string {
  return tx.operation === 'CREATE' ? tx.id : (tx['asset'] as { id: string }).id;
}

async function accept(node: DevNode, tx: SignedTransaction, mode: 'async' | 'commit'): Promise<void> {
  expect(await postRaw(node.apiUrl, tx, mode)).toEqual({ status: 202, statusText: 'ACCEPTED', body: tx });
}

/** Every committed transaction's event, in commit order, as read back from `GET /api/v1/blocks/<height>`. */
async function framesFromBlocks(node: DevNode, posted: readonly SignedTransaction[]): Promise<string[]> {
  const assetIds = new Map(posted.map((tx) => [tx.id, assetIdOf(tx)]));
  const expected: string[] = [];
  for (let height = 1; height <= node.latestHeight; height += 1) {
    const response = await fetch(`${node.apiUrl}blocks/${height}`);
    const block = (await response.json()) as { height: number; transactions: { id: string }[] };
    for (const { id } of block.transactions) expected.push(frame(height, assetIds.get(id) ?? '<not posted>', id));
  }
  return expected;
}

function creates(count: number, label: string): SignedTransaction[] {
  return Array.from({ length: count }, (_, i) =>
    createTransaction(alice, { vin: `WVWZZZ1JZXW${label}${String(i).padStart(4, '0')}` }),
  );
}

describe('Event Stream', () => {
  describe('delivery', () => {
    it('sends every committed transaction exactly once, in commit order, with the exact frame text', async () => {
      const node = await startNode();
      const connection = new Connection(node.apiUrl);
      const subscriber = await subscribe(node.streamUrl);
      const assets = creates(20, 'DLV');
      const transfers = assets
        .slice(0, 5)
        .map((asset) => transferTransaction([{ tx: asset, outputIndex: 0 }], [outputTo(bob)], [alice]));
      const sentinel = createTransaction(alice, { vin: 'WVWZZZ1JZXWSENTINEL' });

      await Promise.all(assets.map((tx) => accept(node, tx, 'async')));
      await subscriber.framesUntil(20);
      await Promise.all(transfers.map((tx) => accept(node, tx, 'async')));
      await subscriber.framesUntil(25);
      // A duplicate of any earlier event would arrive before this one.
      await accept(node, sentinel, 'commit');
      const received = await subscriber.framesUntil(26);

      const posted = [...assets, ...transfers, sentinel];
      expect(received).toEqual(await framesFromBlocks(node, posted));
      expect(received.at(-1)).toBe(frame(node.latestHeight, sentinel.id, sentinel.id));
      expect(subscriber.frames).toHaveLength(26);
      const events = received.map((text) => JSON.parse(text) as { height: number; transaction_id: string });
      const heights = new Map(events.map((event) => [event.transaction_id, event.height]));
      for (const tx of posted) {
        expect([tx.id, await connection.listBlocks(tx.id)]).toEqual([tx.id, [heights.get(tx.id)]]);
      }
      // A TRANSFER's asset_id is the id of the CREATE that made the asset.
      transfers.forEach((tx, i) => {
        expect(received).toContain(frame(heights.get(tx.id) ?? -1, assets[i]?.id ?? '', tx.id));
      });
    });

    it('sends every event to each of two subscribers', async () => {
      const node = await startNode();
      const first = await subscribe(node.streamUrl);
      const second = await subscribe(node.streamUrl);
      const posted = creates(5, 'TWO');

      await Promise.all(posted.map((tx) => accept(node, tx, 'async')));
      const [toFirst, toSecond] = await Promise.all([first.framesUntil(5), second.framesUntil(5)]);

      const expected = await framesFromBlocks(node, posted);
      expect(expected).toHaveLength(5);
      expect(toFirst).toEqual(expected);
      expect(toSecond).toEqual(expected);
    });

    it('announces only the TRANSFER that won a conflict at block time, and the loser stays 404', async () => {
      // Both TRANSFERs must wait in the same mempool: API-level checks see only committed spends (spec §4.8), so the
      // second is accepted only if it arrives before the block is made.
      const node = await startNode();
      const connection = new Connection(node.apiUrl);
      const subscriber = await subscribe(node.streamUrl);
      const asset = createTransaction(alice, { vin: 'WVWZZZ1JZXWCONFLICT' });
      await accept(node, asset, 'commit');
      const toBob = transferTransaction([{ tx: asset, outputIndex: 0 }], [outputTo(bob)], [alice]);
      const toCarol = transferTransaction([{ tx: asset, outputIndex: 0 }], [outputTo(carol)], [alice]);
      const sentinel = createTransaction(alice, { vin: 'WVWZZZ1JZXWSENTINEL' });

      node.blocks.hold();
      await accept(node, toBob, 'async');
      await accept(node, toCarol, 'async');
      node.blocks.release();
      await subscriber.framesUntil(2);
      // A frame for the loser would come in the same batch as the winner's, so before this one.
      await accept(node, sentinel, 'commit');

      expect(await subscriber.framesUntil(3)).toEqual([
        frame(1, asset.id, asset.id),
        frame(2, asset.id, toBob.id),
        frame(3, sentinel.id, sentinel.id),
      ]);
      expect(await connection.listBlocks(toBob.id)).toEqual([2]);
      expect(await connection.listBlocks(toCarol.id)).toEqual([]);
      const loser = await fetch(`${node.apiUrl}transactions/${toCarol.id}`);
      expect([loser.status, await loser.text()]).toEqual([404, '{"message":"Not found","status":404}\n']);
    });
  });

  describe('#pause and #resume', () => {
    it('keeps the socket open and sends nothing committed while paused, then sends commits after resume', async () => {
      const node = await startNode();
      const connection = new Connection(node.apiUrl);
      const subscriber = await subscribe(node.streamUrl);
      const whilePaused = createTransaction(alice, { vin: 'WVWZZZ1JZXWPAUSED1' });
      const afterResume = createTransaction(alice, { vin: 'WVWZZZ1JZXWRESUMED' });

      node.eventStream.pause();
      await accept(node, whilePaused, 'commit');
      expect(await connection.listBlocks(whilePaused.id)).toEqual([1]);
      expect([subscriber.closed, subscriber.socket.readyState]).toEqual([false, WebSocket.OPEN]);
      node.eventStream.resume();
      await accept(node, afterResume, 'commit');

      // Frames arrive in send order, so the first one after resume would be the paused commit's if it had been sent.
      expect(await subscriber.framesUntil(1)).toEqual([frame(2, afterResume.id, afterResume.id)]);
      expect([subscriber.closed, subscriber.socket.readyState]).toEqual([false, WebSocket.OPEN]);
    });
  });

  describe('the stream URL and other requests', () => {
    it('advertises node.streamUrl as `streams` in GET / and GET /api/v1/', async () => {
      const node = await startNode();

      const root = (await (await fetch(`${node.url}/`)).json()) as { api: { v1: { streams: string } } };
      const v1 = (await (await fetch(node.apiUrl)).json()) as { streams: string };

      expect(node.streamUrl).toMatch(/^ws:\/\/127\.0\.0\.1:\d+\/api\/v1\/streams\/valid_transactions$/);
      expect(root.api.v1.streams).toBe(node.streamUrl);
      expect(v1.streams).toBe(node.streamUrl);
    });

    it('answers a plain HTTP GET on the stream path with 400 and on any other path with 404', async () => {
      const node = await startNode();
      const base = node.streamUrl.replace(/^ws:/, 'http:').slice(0, -STREAM_PATH.length);

      const replies = [];
      const other = '/api/v1/streams/invalid_transactions';
      const paths = [STREAM_PATH, `${STREAM_PATH}?x=1`, '/', other, `${STREAM_PATH}/more`];
      for (const path of paths) {
        const response = await fetch(`${base}${path}`);
        replies.push([path, response.status, response.headers.get('content-type'), await response.text()]);
      }

      const upgradeRequired = 'No WebSocket UPGRADE hdr: None\n Can "Upgrade" only to "WebSocket".';
      const plain = 'text/plain; charset=utf-8';
      expect(replies).toEqual([
        [STREAM_PATH, 400, plain, upgradeRequired],
        [`${STREAM_PATH}?x=1`, 400, plain, upgradeRequired],
        ['/', 404, plain, '404: Not Found'],
        [other, 404, plain, '404: Not Found'],
        [`${STREAM_PATH}/more`, 404, plain, '404: Not Found'],
      ]);
    });

    it('refuses a WebSocket upgrade on any other path with 404', async () => {
      const node = await startNode();
      const socket = track(new WebSocket(node.streamUrl.replace(STREAM_PATH, '/api/v1/streams/invalid_transactions')));

      const [error] = (await once(socket, 'error')) as [Error];

      expect(error.message).toBe('Unexpected server response: 404');
    });

    it('ignores messages from a subscriber and keeps sending it events', async () => {
      const node = await startNode();
      const subscriber = await subscribe(node.streamUrl);
      const tx = createTransaction(alice, { vin: 'WVWZZZ1JZXWCHATTY1' });

      subscriber.socket.send('{"subscribe": "valid_transactions"}');
      subscriber.socket.send(Buffer.from([0, 1, 2, 255]));
      subscriber.socket.send('x'.repeat(100_000));
      // The pong comes after the server has read the messages sent before the ping.
      subscriber.socket.ping();
      await once(subscriber.socket, 'pong');
      await accept(node, tx, 'commit');

      expect(await subscriber.framesUntil(1)).toEqual([frame(1, tx.id, tx.id)]);
      expect([subscriber.closed, subscriber.socket.readyState]).toEqual([false, WebSocket.OPEN]);
    });
  });
});
