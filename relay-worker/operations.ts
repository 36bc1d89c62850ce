import type { ContainerClient } from '@azure/storage-blob';
import { type QueueClient, RestError } from '@azure/storage-queue';

import type { BigchainDb, LedgerBlock } from '../shared/bigchaindb';
import { BlobCheckpointStore } from '../shared/blob-checkpoint-store';
import { findNewestHeight } from '../shared/block-heights';
import { isBlockHeight } from '../shared/checkpoint';
import { ensureError } from '../shared/errors';
import { encodeLedgerEvent } from '../shared/ledger-event';
import { type LeaseHolder, readLeaseHolder } from './leader-lease';

// The relay's operations commands (`relay status | replay | redrive`). Each takes its clients as
// parameters; relay-worker/main.ts builds them exactly as it does for `relay run`.

/** The clients the operations work on. Blob names follow main.ts: `<queue>/checkpoint.json` and `<queue>/leader`. */
export interface RelayOperationsDependencies {
  /** The ledger-events queue; its `name` also names the checkpoint and lease blobs. */
  readonly queue: QueueClient;
  /** The queue's poison queue, named by {@link poisonQueueName}; it may not exist. */
  readonly poisonQueue: QueueClient;
  /** The checkpoint container (`RELAY_CHECKPOINT_CONTAINER`). */
  readonly container: ContainerClient;
  readonly bigchainDb: Pick<BigchainDb, 'getBlock'>;
  /** Clock for `relayed_at`. Default `() => new Date()`. */
  readonly now?: () => Date;
}

/** The poison queue the Functions host moves a message to after its last failed try (azure-functions spec §2.6). */
export function poisonQueueName(queueName: string): string {
  return `${queueName}-poison`;
}

/** A queue and how many messages it holds. */
export interface QueueDepth {
  readonly name: string;
  /** The service's approximate count (`approximateMessagesCount`); 0 when the queue does not exist. */
  readonly approximateMessagesCount: number;
}

/** What `relay status` reports. */
export interface RelayStatus {
  /** Highest block every transaction of which is on the queue; `null` before the first checkpoint. */
  readonly checkpointHeight: number | null;
  /** The leader lease's state and last holder. */
  readonly lease: LeaseHolder;
  readonly queue: QueueDepth;
  readonly poisonQueue: QueueDepth;
  /** Newest block height the node has; `null` when it has none (not even genesis block 0). */
  readonly newestHeight: number | null;
  /**
   * Blocks the relay is behind: `newestHeight - checkpointHeight`, with a missing checkpoint counted as 0;
   * `null` when `newestHeight` is. Negative when the node is behind the checkpoint (say, a reset dev node).
   */
  readonly lag: number | null;
}

/**
 * Reads the relay's state: checkpoint, lease holder, queue and poison depths, newest block and lag. Changes nothing.
 * The newest block is found with O(log lag) `getBlock` calls (exponential then binary search from the checkpoint).
 *
 * @throws CheckpointCorruptError or CheckpointUnavailableError when the checkpoint cannot be read.
 * @throws the storage SDK's `RestError` for storage failures other than "not found"; UpstreamError from BigchainDB.
 */
export async function relayStatus(deps: RelayOperationsDependencies, signal?: AbortSignal): Promise<RelayStatus> {
  const queueName = deps.queue.name;
  const [stored, lease, queue, poisonQueue] = await Promise.all([
    new BlobCheckpointStore({ container: deps.container, blobName: `${queueName}/checkpoint.json` }).read(signal),
    readLeaseHolder(deps.container, `${queueName}/leader`, signal),
    queueDepth(deps.queue, signal),
    queueDepth(deps.poisonQueue, signal),
  ]);
  const checkpointHeight = stored?.height ?? null;
  const newestHeight = await findNewestHeight(deps.bigchainDb, checkpointHeight ?? 0, signal);
  const lag = newestHeight === null ? null : newestHeight - (checkpointHeight ?? 0);
  return { checkpointHeight, lease, queue, poisonQueue, newestHeight, lag };
}

async function queueDepth(queue: QueueClient, signal: AbortSignal | undefined): Promise<QueueDepth> {
  try {
    const { approximateMessagesCount } = await queue.getProperties({ abortSignal: signal });
    return { name: queue.name, approximateMessagesCount: approximateMessagesCount ?? 0 };
  } catch (error: unknown) {
    if (error instanceof RestError && error.statusCode === 404)
      return { name: queue.name, approximateMessagesCount: 0 };
    throw error;
  }
}

/** Where a replay is, as its progress callback sees it: every message of blocks `from`..`lastHeight` is on the queue. */
export interface ReplayProgress {
  /** Blocks replayed so far (including blocks without transactions). */
  readonly blocks: number;
  /** Messages put on the queue so far. */
  readonly messages: number;
  /** The last block replayed; `null` when there was none. */
  readonly lastHeight: number | null;
  /** True for the last call, once every message is on the queue. */
  readonly done: boolean;
}

/** The outcome of a replay: the final {@link ReplayProgress} without `done`. */
export type ReplayResult = Omit<ReplayProgress, 'done'>;

/** Options of {@link replayHeights}. */
export interface ReplayOptions {
  /** First height to replay: a non-negative safe integer. */
  readonly from: number;
  /** Last height to replay, inclusive; omitted, the replay runs to the newest block. It stops early at the first missing height. */
  readonly to?: number;
  /** Queue sends in flight at once. Default 32. */
  readonly concurrency?: number;
  /** `onProgress` is called every this many blocks (once their sends have settled), and once at the end. Default 100. */
  readonly progressEveryBlocks?: number;
  readonly onProgress?: (progress: ReplayProgress) => void;
  readonly signal?: AbortSignal;
}

/** Blocks fetched ahead of the one being sent, so that a long replay is not one round trip per block. */
const BLOCK_LOOKAHEAD = 8;

/**
 * Checks a replay range.
 *
 * @throws RangeError naming the bound and the rule: `replay from must be a non-negative integer, got -1`,
 *   `replay from (7) must not be above to (3)`.
 */
export function assertReplayRange(from: number, to: number | undefined): void {
  for (const [name, value] of [
    ['from', from],
    ['to', to],
  ] as const) {
    if (value !== undefined && !isBlockHeight(value))
      throw new RangeError(`replay ${name} must be a non-negative integer, got ${String(value)}`);
  }
  if (to !== undefined && from > to) throw new RangeError(`replay from (${from}) must not be above to (${to})`);
}

/** @throws RangeError naming the first of `settings` that is not a positive integer. */
function assertPositiveIntegers(settings: Record<string, number>): void {
  for (const [name, value] of Object.entries(settings)) {
    if (!Number.isSafeInteger(value) || value < 1)
      throw new RangeError(`replay ${name} must be a positive integer, got ${value}`);
  }
}

/**
 * Puts one `source: 'replay'` message per transaction of blocks `from`..`to` on the queue again, walking
 * blocks in order until `to` or the first missing height. Consumers are idempotent by `transaction_id`, so a
 * replay only re-delivers; the checkpoint is not touched. Creates the queue when missing.
 *
 * @throws RangeError for a bad range (see {@link assertReplayRange}) or `concurrency`/`progressEveryBlocks` below 1,
 *   before anything is sent.
 * @throws the first failed send (after the sends in flight settle), UpstreamError from BigchainDB, or the signal's reason.
 */
export async function replayHeights(deps: RelayOperationsDependencies, options: ReplayOptions): Promise<ReplayResult> {
  const { from, to, concurrency = 32, progressEveryBlocks = 100, onProgress, signal } = options;
  assertReplayRange(from, to);
  assertPositiveIntegers({ concurrency, progressEveryBlocks });
  await deps.queue.createIfNotExists({ abortSignal: signal });
  const now = deps.now ?? ((): Date => new Date());
  const pool = new SendPool(concurrency);
  const progress = { blocks: 0, messages: 0, lastHeight: null as number | null };
  const send = async (text: string): Promise<void> => {
    await deps.queue.sendMessage(text, { abortSignal: signal });
    progress.messages++;
  };
  try {
    for await (const block of blocksFrom(deps.bigchainDb, from, to, signal)) {
      for (const { transactionId, assetId } of block.transactions) {
        const event = {
          transaction_id: transactionId,
          asset_id: assetId,
          height: block.height,
          source: 'replay',
          relayed_at: now().toISOString(),
        } as const;
        await pool.start(() => send(encodeLedgerEvent(event)));
      }
      progress.blocks++;
      progress.lastHeight = block.height;
      if (progress.blocks % progressEveryBlocks === 0) {
        // A short pause per report makes each report exact: an interrupted replay can resume after `lastHeight`.
        await pool.settle();
        pool.throwIfFailed();
        onProgress?.({ ...progress, done: false });
      }
    }
  } finally {
    await pool.settle();
  }
  pool.throwIfFailed();
  onProgress?.({ ...progress, done: true });
  return { ...progress };
}

/** The node's blocks `from`..`to` (or to the newest) in order, ending at the first missing height. */
async function* blocksFrom(
  bigchainDb: Pick<BigchainDb, 'getBlock'>,
  from: number,
  to: number | undefined,
  signal: AbortSignal | undefined,
): AsyncGenerator<LedgerBlock> {
  const last = to ?? Number.MAX_SAFE_INTEGER;
  const ahead: Promise<LedgerBlock | undefined>[] = [];
  let next = from;
  const fetchUpTo = (count: number): void => {
    while (ahead.length < count && next <= last) {
      const fetch = bigchainDb.getBlock(next++, signal);
      fetch.catch(() => undefined); // awaited in order below; a fetch past the end may be left unawaited
      ahead.push(fetch);
    }
  };
  // Start with one fetch, so a replay past the newest block asks the node only once.
  fetchUpTo(1);
  for (let fetch = ahead.shift(); fetch !== undefined; fetch = ahead.shift()) {
    signal?.throwIfAborted();
    const block = await fetch;
    if (block === undefined) return;
    fetchUpTo(BLOCK_LOOKAHEAD);
    yield block;
  }
}

/** Runs at most `limit` sends at once and keeps the first failure. */
class SendPool {
  readonly #inFlight = new Set<Promise<void>>();
  #failure: Error | undefined;

  constructor(private readonly limit: number) {}

  /** Waits for a free slot, then starts `task`; throws the first failure instead once a task has failed. */
  async start(task: () => Promise<void>): Promise<void> {
    while (this.#inFlight.size >= this.limit) await Promise.race(this.#inFlight);
    this.throwIfFailed();
    const running: Promise<void> = task().then(
      () => void this.#inFlight.delete(running),
      (error: unknown) => {
        this.#failure ??= ensureError(error);
        this.#inFlight.delete(running);
      },
    );
    this.#inFlight.add(running);
  }

  /** Resolves once nothing is in flight (never rejects). */
  async settle(): Promise<void> {
    await Promise.all(this.#inFlight);
  }

  throwIfFailed(): void {
    if (this.#failure) throw this.#failure;
  }
}

/** How far a redrive is. */
export interface RedriveProgress {
  /** Messages moved back to the queue so far. */
  readonly moved: number;
}

/** Options of {@link redrivePoison}. */
export interface RedriveOptions {
  /** Called after each batch (up to 32 messages) is moved. */
  readonly onProgress?: (progress: RedriveProgress) => void;
  readonly signal?: AbortSignal;
}

/** How long a received poison message stays invisible while it is moved, in seconds. */
const REDRIVE_VISIBILITY_SECONDS = 300;
/** The most messages Get Messages returns at once. */
const RECEIVE_BATCH = 32;

/**
 * Moves every message of the poison queue back to the queue, text unchanged, until the poison queue reads
 * empty. Each message is sent to the queue first and deleted from the poison queue only after, so a crash
 * in between duplicates a message (consumers are idempotent) rather than losing it. Resolves with the
 * number moved: 0 when the poison queue does not exist. Creates the queue when missing.
 *
 * @throws the storage SDK's `RestError` when a receive, send or delete fails (messages moved so far stay moved), or the signal's reason.
 */
export async function redrivePoison(deps: RelayOperationsDependencies, options: RedriveOptions = {}): Promise<number> {
  const { onProgress, signal } = options;
  if (!(await deps.poisonQueue.exists({ abortSignal: signal }))) return 0;
  await deps.queue.createIfNotExists({ abortSignal: signal });
  let moved = 0;
  for (;;) {
    signal?.throwIfAborted();
    const { receivedMessageItems } = await deps.poisonQueue.receiveMessages({
      numberOfMessages: RECEIVE_BATCH,
      visibilityTimeout: REDRIVE_VISIBILITY_SECONDS,
      abortSignal: signal,
    });
    if (receivedMessageItems.length === 0) return moved;
    const outcomes = await Promise.allSettled(
      receivedMessageItems.map(async ({ messageId, popReceipt, messageText }) => {
        await deps.queue.sendMessage(messageText, { abortSignal: signal });
        await deps.poisonQueue.deleteMessage(messageId, popReceipt, { abortSignal: signal });
        moved++;
      }),
    );
    // Every move of the batch has settled, so none is still running when the first failure is thrown.
    const failed = outcomes.find((outcome) => outcome.status === 'rejected');
    if (failed) throw ensureError(failed.reason);
    onProgress?.({ moved });
  }
}
