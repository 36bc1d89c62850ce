import { ensureError, InvalidTransactionError } from '../../shared/errors';
import { type LedgerTransaction, type LedgerView, validateAgainstLedger } from '../../shared/transaction/ledger-rules';
import type { OutputReference } from '../../shared/transaction/transaction';
import type { ChainStore } from './chain-store';
import { type BlockTransaction, type Ledger, outputKey } from './ledger';

/** What became of a submitted transaction once its block was made. */
export type BlockOutcome =
  | { readonly status: 'committed'; readonly height: number }
  | { readonly status: 'dropped'; readonly reason: InvalidTransactionError };

/** A transaction committed in a block, as the Event Stream announces it. */
export interface CommittedTransaction {
  readonly height: number;
  readonly assetId: string;
  readonly transactionId: string;
}

/** Options of {@link BlockProducer}. */
export interface BlockProducerOptions {
  readonly ledger: Ledger;
  /** Where blocks are stored before they count as committed. */
  readonly chain: ChainStore;
  /** Wait between a transaction arriving and its block being made; 0 makes blocks as fast as possible. */
  readonly blockIntervalMs: number;
  /** Called after each block is committed, with its transactions in block order. */
  readonly onCommit: (transactions: readonly CommittedTransaction[]) => void;
}

interface PendingTransaction extends BlockTransaction {
  readonly settle: (outcome: BlockOutcome) => void;
  readonly fail: (error: Error) => void;
}

/**
 * The mempool and the block loop: pending transactions are made into a block, re-validated in order
 * against the chain plus the earlier transactions of the block (as DeliverTx does), and losers are
 * dropped without a trace, as on a real node.
 */
export class BlockProducer {
  private pending: PendingTransaction[] = [];
  private readonly pendingIds = new Set<string>();
  private timer: NodeJS.Immediate | NodeJS.Timeout | undefined;
  private held = false;

  constructor(private readonly options: BlockProducerOptions) {}

  /** Whether a transaction with this id waits in the mempool (Tendermint's "already exists in cache"). */
  isPending(id: string): boolean {
    return this.pendingIds.has(id);
  }

  /**
   * Adds a transaction that passed validation against the committed chain. The promise settles when
   * its block is made; it rejects only if the block could not be written.
   */
  submit(transaction: BlockTransaction): Promise<BlockOutcome> {
    return new Promise((settle, fail) => {
      this.pending.push({ ...transaction, settle, fail });
      this.pendingIds.add(transaction.transaction.id);
      this.schedule();
    });
  }

  /**
   * For tests: makes no block until {@link release}, so that transactions meet in one mempool (for
   * example two conflicting ones, of which the block keeps the first).
   */
  hold(): void {
    this.held = true;
  }

  /** Ends {@link hold}: everything pending goes into the next block. */
  release(): void {
    this.held = false;
    if (this.pending.length > 0) this.schedule();
  }

  /** Stops making blocks; pending transactions are abandoned, as a stopped node abandons its mempool. */
  close(): void {
    if (this.timer) clearTimeout(this.timer as NodeJS.Timeout);
    clearImmediate(this.timer as NodeJS.Immediate);
    this.timer = undefined;
  }

  private schedule(): void {
    if (this.timer || this.held) return;
    const run = (): void => {
      this.timer = undefined;
      this.makeBlock();
    };
    this.timer = this.options.blockIntervalMs > 0 ? setTimeout(run, this.options.blockIntervalMs) : setImmediate(run);
  }

  private makeBlock(): void {
    const candidates = this.pending;
    this.pending = [];
    this.pendingIds.clear();
    const { ledger, chain } = this.options;
    const accepted: PendingTransaction[] = [];
    const dropped: [PendingTransaction, InvalidTransactionError][] = [];
    const view = new BlockView(ledger);
    for (const candidate of candidates) {
      try {
        // Signatures were verified on submission against committed outputs, which cannot change.
        validateAgainstLedger(candidate.transaction, view, true);
        view.accept(candidate);
        accepted.push(candidate);
      } catch (error) {
        if (!(error instanceof InvalidTransactionError)) throw error;
        dropped.push([candidate, error]);
      }
    }
    for (const [candidate, reason] of dropped) candidate.settle({ status: 'dropped', reason });
    if (accepted.length === 0) return;

    const height = ledger.latestHeight + 1;
    let refs;
    try {
      refs = chain.appendBlock({ height, transactions: accepted.map(({ json }) => json) });
    } catch (thrown) {
      const error = ensureError(thrown);
      for (const candidate of accepted) candidate.fail(error);
      return;
    }
    ledger.commit(height, accepted, refs);
    for (const candidate of accepted) candidate.settle({ status: 'committed', height });
    this.options.onCommit(
      accepted.map(({ transaction }) => ({ height, assetId: transaction.assetId, transactionId: transaction.id })),
    );
  }
}

/** The committed chain plus the transactions accepted so far into the block being made. */
class BlockView implements LedgerView {
  private readonly transactions = new Map<string, LedgerTransaction>();
  private readonly spenders = new Map<string, string>();

  constructor(private readonly ledger: Ledger) {}

  accept({ transaction }: BlockTransaction): void {
    this.transactions.set(transaction.id, transaction);
    for (const { fulfills } of transaction.inputs) if (fulfills) this.spenders.set(outputKey(fulfills), transaction.id);
  }

  getTransaction(id: string): LedgerTransaction | undefined {
    return this.transactions.get(id) ?? this.ledger.getTransaction(id);
  }

  getSpender(output: OutputReference): string | undefined {
    return this.spenders.get(outputKey(output)) ?? this.ledger.getSpender(output);
  }
}
