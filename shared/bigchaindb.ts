// The BigchainDB contract both the relay and the Functions app depend on; `BigchainDbClient` in
// ./bigchaindb-client is the real one. Callers take `Pick<BigchainDb, ...>` of the methods they use.

/** What `GET /` says about a node (spec §2.1). */
export interface NodeInfo {
  /** Server version, `2.2.2`. */
  readonly version: string;
  /** The Event Stream URL as the node advertises it; see `resolveStreamUrl` in ./bigchaindb-client. */
  readonly streamsUrl: string;
}

/** A transaction of a block, named as the Event Stream names it (spec §7). */
export interface BlockTransactionRef {
  readonly transactionId: string;
  /** The CREATE transaction's id: its own id for a CREATE, `asset.id` for a TRANSFER. */
  readonly assetId: string;
  readonly operation: 'CREATE' | 'TRANSFER';
}

/** A committed block (spec §2.8). */
export interface LedgerBlock {
  readonly height: number;
  /** Its CREATE and TRANSFER transactions in block order; validator elections and votes (spec §4.10) are left out. */
  readonly transactions: readonly BlockTransactionRef[];
  /** The whole block JSON. */
  readonly raw: unknown;
}

/** An asset found by a text search: its CREATE transaction's id and its data. */
export interface AssetMatch {
  readonly id: string;
  readonly data: unknown;
}

/**
 * BigchainDB's HTTP API v1 as the relay and the Functions app use it. Every method takes an optional
 * `AbortSignal`; see `BigchainDbClient` for the errors each one throws.
 */
export interface BigchainDb {
  /** The node's version and advertised Event Stream URL. */
  getInfo(signal?: AbortSignal): Promise<NodeInfo>;
  /** The block at `height`, or undefined above the latest height. */
  getBlock(height: number, signal?: AbortSignal): Promise<LedgerBlock | undefined>;
  /** The committed transaction with this id, or undefined when the node has none. */
  getTransaction(id: string, signal?: AbortSignal): Promise<unknown>;
  /** The committed transactions of an asset, optionally of one operation only. */
  listTransactions(assetId: string, operation?: 'CREATE' | 'TRANSFER', signal?: AbortSignal): Promise<unknown[]>;
  /** Assets whose data matches a text search (the node's MongoDB `$text` semantics, spec §2.6), at most `limit`. */
  searchAssets(text: string, limit?: number, signal?: AbortSignal): Promise<AssetMatch[]>;
  /** Heights of the blocks holding a transaction: one height once committed, none before. */
  listBlocks(transactionId: string, signal?: AbortSignal): Promise<number[]>;
  /** Submits a signed transaction and resolves with the node's echo. */
  postTransaction(transaction: unknown, mode: 'async' | 'sync' | 'commit', signal?: AbortSignal): Promise<unknown>;
}
