import { ownersOfDetails } from '../../shared/transaction/fulfillment';
import { isJsonObject, type JsonObject, parseJson } from '../../shared/transaction/json-value';
import type { LedgerTransaction, LedgerView } from '../../shared/transaction/ledger-rules';
import {
  type CheckedTransaction,
  type OutputReference,
  parseOutputs,
  type TransactionOutput,
} from '../../shared/transaction/transaction';
import type { TextRef } from './block-log';
import type { ChainStore } from './chain-store';
import { TextIndex } from './text-index';

/** A committed transaction as the ledger keeps it: where its JSON text is, plus what its indexes need. */
export interface StoredTransaction {
  readonly id: string;
  readonly height: number;
  readonly operation: 'CREATE' | 'TRANSFER';
  readonly assetId: string;
  readonly text: TextRef;
}

/** A transaction ready to be committed: checked, with its compact JSON text. */
export interface BlockTransaction {
  readonly transaction: CheckedTransaction;
  readonly json: string;
}

/** An output reference paired with whether it is spent, for `GET /outputs`. */
export interface OwnedOutput extends OutputReference {
  readonly spent: boolean;
}

/** Map key of an output reference. */
export const outputKey = ({ transactionId, outputIndex }: OutputReference): string => `${transactionId}:${outputIndex}`;

/**
 * The committed chain and its indexes (transactions, spent outputs, outputs by owner, transfers by
 * asset, blocks, text search). Committed data never changes, so indexes only grow.
 */
export class Ledger implements LedgerView {
  private readonly transactions = new Map<string, StoredTransaction>();
  private readonly spenders = new Map<string, string>();
  private readonly transfersByAsset = new Map<string, string[]>();
  private readonly outputsByOwner = new Map<string, OutputReference[]>();
  private readonly blocks = new Map<number, string[]>();
  private readonly assets = new TextIndex((id) => this.indexedDocument(id, 'data'));
  private readonly metadata = new TextIndex((id) => this.indexedDocument(id, 'metadata'));
  private height = 0;

  /** `chain` holds the transactions' texts; the ledger keeps only where they are. */
  constructor(private readonly chain: Pick<ChainStore, 'read'>) {}

  /** Height of the latest block; 0 (the genesis block) on a fresh chain. */
  get latestHeight(): number {
    return this.height;
  }

  /** Number of committed transactions. */
  get size(): number {
    return this.transactions.size;
  }

  getStored(id: string): StoredTransaction | undefined {
    return this.transactions.get(id);
  }

  /** Compact JSON text of a committed transaction as it was received. */
  jsonOf(stored: StoredTransaction): string {
    return this.chain.read(stored.text);
  }

  getTransaction(id: string): LedgerTransaction | undefined {
    const stored = this.transactions.get(id);
    // Outputs are re-derived from the JSON on demand: only spending needs them, and keeping them
    // parsed for every transaction would cost several times the memory.
    return stored && { assetId: stored.assetId, outputs: checkedOutputs(this.jsonOf(stored)) };
  }

  getSpender(output: OutputReference): string | undefined {
    return this.spenders.get(outputKey(output));
  }

  /** Transaction ids of a block, in block order; `undefined` above the latest height. */
  getBlock(height: number): readonly string[] | undefined {
    if (height > this.height) return undefined;
    return this.blocks.get(height) ?? [];
  }

  /** The transaction with id `assetId` (of any operation) then the TRANSFERs of that asset, in commit order. */
  transactionsOfAsset(assetId: string, operation?: 'CREATE' | 'TRANSFER'): StoredTransaction[] {
    const own = this.transactions.get(assetId);
    const transfers = (this.transfersByAsset.get(assetId) ?? []).map(
      (id) => this.transactions.get(id) as StoredTransaction,
    );
    if (operation === 'CREATE') return own?.operation === 'CREATE' ? [own] : [];
    if (operation === 'TRANSFER') return transfers;
    return own ? [own, ...transfers.filter((tx) => tx !== own)] : transfers;
  }

  /** Outputs whose conditions name `publicKey`, in commit order then output index. */
  outputsOf(publicKey: string): OwnedOutput[] {
    return (this.outputsByOwner.get(publicKey) ?? []).map((ref) => ({
      ...ref,
      spent: this.spenders.has(outputKey(ref)),
    }));
  }

  searchAssets(query: string, limit: number): string[] {
    return this.assets.search(query, limit);
  }

  searchMetadata(query: string, limit: number): string[] {
    return this.metadata.search(query, limit);
  }

  /**
   * Adds a block of transactions already validated in order against this ledger and stored in the
   * chain at `refs`.
   */
  commit(height: number, block: readonly BlockTransaction[], refs: readonly TextRef[]): void {
    this.append(
      height,
      block.map(({ transaction }, i) => ({
        ...transaction,
        text: refs[i] as TextRef,
        outputOwners: transaction.outputs.map((o) => o.owners),
      })),
    );
  }

  /**
   * Replays a stored block. Its transactions were fully validated before they were written, so only
   * what the indexes need is derived from them.
   */
  replay(height: number, jsonTexts: readonly string[], refs: readonly TextRef[]): void {
    this.append(
      height,
      jsonTexts.map((json, i) => indexEntryOf(json, refs[i] as TextRef)),
    );
  }

  private append(height: number, entries: readonly IndexEntry[]): void {
    if (height <= this.height) throw new Error(`block height ${height} is not above ${this.height}`);
    for (const entry of entries) this.index(entry, height);
    if (entries.length > 0)
      this.blocks.set(
        height,
        entries.map(({ id }) => id),
      );
    this.height = height;
  }

  private index({ id, operation, assetId, body, text, inputs, outputOwners }: IndexEntry, height: number): void {
    this.transactions.set(id, { id, height, operation, assetId, text });
    for (const { fulfills } of inputs) if (fulfills) this.spenders.set(outputKey(fulfills), id);
    outputOwners.forEach((owners, outputIndex) => {
      for (const owner of new Set(owners)) appendTo(this.outputsByOwner, owner, { transactionId: id, outputIndex });
    });
    if (operation === 'TRANSFER') appendTo(this.transfersByAsset, assetId, id);
    else this.assets.add(id, { data: (body['asset'] as JsonObject)['data'] ?? null });
    const metadata = body['metadata'];
    if (metadata !== null && metadata !== undefined) this.metadata.add(id, { metadata });
  }

  /** The document `index` gave the `part` text index for transaction `id`, re-created from its JSON. */
  private indexedDocument(id: string, part: 'data' | 'metadata'): unknown {
    const stored = this.transactions.get(id);
    if (!stored) return undefined;
    const body = parseJson(this.jsonOf(stored)) as JsonObject;
    return part === 'data' ? { data: (body['asset'] as JsonObject)['data'] ?? null } : { metadata: body['metadata'] };
  }
}

/** What indexing a transaction reads. */
interface IndexEntry {
  readonly id: string;
  readonly operation: 'CREATE' | 'TRANSFER';
  readonly assetId: string;
  readonly body: JsonObject;
  readonly text: TextRef;
  readonly inputs: readonly { readonly fulfills: OutputReference | null }[];
  readonly outputOwners: readonly (readonly string[])[];
}

function appendTo<T>(map: Map<string, T[]>, key: string, value: T): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

function checkedOutputs(json: string): readonly TransactionOutput[] {
  return parseOutputs(parseJson(json) as JsonObject);
}

function indexEntryOf(json: string, text: TextRef): IndexEntry {
  const body = parseJson(json) as JsonObject;
  const operation = body['operation'] as 'CREATE' | 'TRANSFER';
  const id = body['id'] as string;
  const inputs = (body['inputs'] as JsonObject[]).map(({ fulfills }) => ({
    fulfills: isJsonObject(fulfills)
      ? { transactionId: fulfills['transaction_id'] as string, outputIndex: fulfills['output_index'] as number }
      : null,
  }));
  const outputOwners = (body['outputs'] as JsonObject[]).map((output) =>
    ownersOfDetails((output['condition'] as JsonObject)['details'] ?? null),
  );
  const assetId = operation === 'CREATE' ? id : ((body['asset'] as JsonObject)['id'] as string);
  return { id, operation, assetId, body, text, inputs, outputOwners };
}
