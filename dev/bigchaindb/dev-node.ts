import { createPrivateKey, createPublicKey } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';

import { listen } from '../listen';
import { BlockProducer } from './block-producer';
import { type ChainStore, fileChainStore, memoryChainStore } from './chain-store';
import { type EventStream, startEventStream, STREAM_PATH } from './event-stream';
import { createHttpApi } from './http-api';
import { Ledger } from './ledger';

/** One structured log entry of the dev node. */
export type DevNodeLogEntry = { readonly level: 'info' | 'warn' | 'error'; readonly msg: string } & Record<
  string,
  unknown
>;

/** Options of {@link startDevNode}; every one has a default. */
export interface DevNodeOptions {
  /** Interface both servers bind to. Default `127.0.0.1`. */
  readonly host?: string;
  /** HTTP API port; 0 picks a free one. Default 9984. */
  readonly port?: number;
  /** Event Stream port; 0 picks a free one. Default 9985. */
  readonly wsPort?: number;
  /** Folder of the append-only chain file; omitted, the chain lives in memory only. */
  readonly dataDir?: string;
  /** Host named in the advertised `streams` URL. Default: `host`, or `localhost` when binding all interfaces. */
  readonly advertisedHost?: string;
  /** Wait before making a block once a transaction is pending. Default 0: as soon as possible. */
  readonly blockIntervalMs?: number;
  /** Largest request body accepted. Default 1,000,000 bytes (Tendermint's RPC limit). */
  readonly maxBodyBytes?: number;
  /** Where log entries go. Default: nowhere. */
  readonly log?: (entry: DevNodeLogEntry) => void;
}

/** A running dev node. */
export interface DevNode {
  /** Base URL, e.g. `http://127.0.0.1:9984`. */
  readonly url: string;
  /** The API root the driver takes, with its trailing slash: `http://127.0.0.1:9984/api/v1/`. */
  readonly apiUrl: string;
  /** The Event Stream URL, as advertised in `GET /`. */
  readonly streamUrl: string;
  /** Test control over the Event Stream (see {@link EventStream.pause}). */
  readonly eventStream: Pick<EventStream, 'pause' | 'resume'>;
  /**
   * Test control over block making: `hold()` keeps transactions pending until `release()`, so that
   * several meet in one mempool and one block, as on a real node under load.
   */
  readonly blocks: { hold(): void; release(): void };
  /** Height of the latest block. */
  readonly latestHeight: number;
  /** Stops both servers, closing every connection, and closes the chain file. */
  close(): Promise<void>;
}

// A fixed validator key: the dev node is a one-validator network and needs no secret.
const VALIDATOR_SEED = Buffer.alloc(32, 7);
const PKCS8_ED25519_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');

function validatorPublicKey(): string {
  const privateKey = createPrivateKey({
    key: Buffer.concat([PKCS8_ED25519_PREFIX, VALIDATOR_SEED]),
    format: 'der',
    type: 'pkcs8',
  });
  const spki = createPublicKey(privateKey).export({ format: 'der', type: 'spki' });
  return spki.subarray(-32).toString('base64');
}

/** The chain in `dataDir` (its block log), or one in memory when there is none. */
function openChain(
  dataDir: string | undefined,
  log: (entry: DevNodeLogEntry) => void,
): { chain: ChainStore; ledger: Ledger } {
  return dataDir === undefined ? inMemory() : loadChain(join(dataDir, 'blocks.log'), log);
}

/** A host name clients can connect to for a listening address: a wildcard address stands for this machine. */
function reachableHost(host: string): string {
  return host === '0.0.0.0' || host === '::' ? 'localhost' : host;
}

/** `host` as it goes into a URL: IPv6 addresses in brackets. */
function urlHost(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}

/** Starts a BigchainDB 2.2-compatible node: HTTP API v1 and the Event Stream, each on its own port. */
export async function startDevNode(options: DevNodeOptions = {}): Promise<DevNode> {
  const host = options.host ?? '127.0.0.1';
  const log = options.log ?? ((): void => undefined);
  const { chain, ledger } = openChain(options.dataDir, log);

  const eventStream = await startEventStream({
    host,
    port: options.wsPort ?? 9985,
    maxBufferedBytes: 16 * 1024 * 1024,
    onSlowSubscriber: (bufferedBytes) =>
      log({ level: 'warn', msg: 'disconnected a slow stream subscriber', bufferedBytes }),
  });
  const advertisedHost = options.advertisedHost ?? reachableHost(host);
  const streamUrl = `ws://${advertisedHost}:${eventStream.port}${STREAM_PATH}`;
  const producer = new BlockProducer({
    ledger,
    chain,
    blockIntervalMs: options.blockIntervalMs ?? 0,
    onCommit: (transactions) => eventStream.publish(transactions),
  });
  const onInternalError = (error: Error): void =>
    log({ level: 'error', msg: 'internal error', error: error.stack ?? error.message });
  const server = createServer(
    createHttpApi({
      ledger,
      producer,
      streamUrl,
      validatorPublicKey: validatorPublicKey(),
      maxBodyBytes: options.maxBodyBytes ?? 1_000_000,
      onInternalError,
    }),
  );
  try {
    await listen(server, host, options.port ?? 9984);
  } catch (error) {
    await eventStream.close();
    chain.close();
    throw error;
  }
  const url = `http://${urlHost(host)}:${(server.address() as AddressInfo).port}`;
  log({
    level: 'info',
    msg: 'dev node started',
    url,
    streamUrl,
    height: ledger.latestHeight,
    transactions: ledger.size,
  });

  return {
    url,
    apiUrl: `${url}/api/v1/`,
    streamUrl,
    eventStream,
    blocks: { hold: () => producer.hold(), release: () => producer.release() },
    get latestHeight() {
      return ledger.latestHeight;
    },
    async close() {
      producer.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await eventStream.close();
      chain.close();
    },
  };
}

function inMemory(): { chain: ChainStore; ledger: Ledger } {
  const chain = memoryChainStore();
  return { chain, ledger: new Ledger(chain) };
}

function loadChain(filePath: string, log: (entry: DevNodeLogEntry) => void): { chain: ChainStore; ledger: Ledger } {
  const { store, blocks, droppedTornBytes } = fileChainStore(filePath);
  const ledger = new Ledger(store);
  for (const block of blocks) ledger.replay(block.height, block.transactions, block.refs);
  if (droppedTornBytes > 0) {
    log({ level: 'warn', msg: 'dropped a torn last record of the chain file', filePath, droppedTornBytes });
  }
  return { chain: store, ledger };
}
