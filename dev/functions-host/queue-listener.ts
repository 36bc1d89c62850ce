import { setMaxListeners } from 'node:events';

import type { DequeuedMessageItem, QueueClient } from '@azure/storage-queue';

import { ensureError } from '../../shared/errors';
import {
  decodeBase64LikeDotNet,
  isTransientPollError,
  type MessageProcessorContext,
  moveToPoison,
  processMessage,
  type ReceivedMessage,
} from './queue-message-processor';
import { nextPollingDelayMs } from './queue-polling';
import { type QueueTriggerSettings, validateQueueTriggerSettings } from './queue-trigger-settings';

export { poisonQueueFor, poisonQueueName } from './queue-message-processor';
export { MIN_POLLING_INTERVAL_MS, nextPollingDelayMs } from './queue-polling';
export type { QueueTriggerSettings } from './queue-trigger-settings';

/**
 * The storage-queue trigger listener of the local Functions host: the polling, back-off, concurrency, lease,
 * decoding and poison behaviour of the real host's Storage Queues extension 5.x (`QueueListener.cs`,
 * `QueueProcessor.cs`, `RandomizedExponentialBackoffStrategy.cs`; azure-functions.md §2).
 */

/** One message as the trigger delivers it. `text` is decoded (base64 → UTF-8 when encoding is base64). */
export interface QueueTriggerMessage {
  readonly text: string;
  /**
   * Trigger metadata as the host's binding data (PascalCase; the Node library camel-cases the keys). Times are
   * ISO strings; `PopReceipt` and `NextVisibleTime` are those of the receive, as in the host.
   */
  readonly metadata: {
    DequeueCount: number;
    Id: string;
    InsertionTime: string;
    ExpirationTime: string;
    NextVisibleTime: string;
    PopReceipt: string;
    QueueTrigger: string;
  };
}

/** One log entry of the listener. */
export type QueueListenerLogEntry = { level: 'info' | 'warn' | 'error'; msg: string } & Record<string, unknown>;
/** Where the listener logs. */
export type QueueListenerLog = (entry: QueueListenerLogEntry) => void;

/** Options of {@link startQueueListener}. */
export interface QueueListenerOptions {
  /** The trigger queue. */
  readonly queue: QueueClient;
  /**
   * The poison queue, from {@link poisonQueueFor} on the same account; undefined when no poison queue is possible
   * (the name already ends in `-poison`, or would exceed 63 characters). Created on first use.
   */
  readonly poisonQueue?: QueueClient | undefined;
  readonly settings: QueueTriggerSettings;
  /** Runs the function; resolves = success (delete), rejects = failure. */
  readonly handler: (message: QueueTriggerMessage) => Promise<void>;
  readonly log: QueueListenerLog;
  /** Processing lease in whole seconds' worth of ms, renewed every half lease while the handler runs. Default 10 min. */
  readonly leaseMs?: number;
  /** For the randomized back-off, in [0, 1). Default `Math.random`. */
  readonly random?: () => number;
}

/** A running trigger listener. */
export interface QueueListener {
  /** Poll now (a same-host output binding wrote to this queue: the real host's SharedQueueWatcher). */
  wake(): void;
  /**
   * Stop polling, wait for in-flight handlers up to `graceMs`, then resolve; messages not finished stay invisible
   * until their lease ends, as in the real host. Calling it again returns the same promise.
   */
  stop(graceMs: number): Promise<void>;
}

/** The host's hard-coded processing lease (`QueueListener._visibilityTimeout`). */
export const DEFAULT_LEASE_MS = 10 * 60_000;

/**
 * Starts polling `options.queue` at once and returns the running listener.
 * @throws RangeError when a setting is out of the host's range (the caller validates host.json first).
 */
export function startQueueListener(options: QueueListenerOptions): QueueListener {
  const { settings, leaseMs = DEFAULT_LEASE_MS } = options;
  validateQueueTriggerSettings(settings, leaseMs);
  return new QueueListenerImpl(options);
}

class QueueListenerImpl implements QueueListener {
  private readonly context: MessageProcessorContext;
  private readonly random: () => number;
  private readonly processing = new Set<Promise<void>>();
  private readonly pollAbort = new AbortController();
  private readonly abandon = new AbortController();
  private readonly loop: Promise<void>;
  private stopping: Promise<void> | undefined;
  private onSettled: (() => void) | undefined;
  private onWake: (() => void) | undefined;
  private wakeRequested = false;
  private queueExists = false;
  private reportedMissing = false;
  private previousDelayMs = 0;

  constructor(options: QueueListenerOptions) {
    this.random = options.random ?? Math.random;
    // Each message in flight (up to batchSize + newBatchThreshold, 32 by default on 2 cores) listens on this signal
    // for its lease and for its storage call; past Node's default of 10 that is not a leak, only a false warning.
    setMaxListeners(0, this.abandon.signal);
    this.context = {
      queue: options.queue,
      poisonQueue: options.poisonQueue,
      settings: options.settings,
      handler: options.handler,
      log: options.log,
      leaseMs: options.leaseMs ?? DEFAULT_LEASE_MS,
      abandoned: this.abandon.signal,
    };
    this.loop = this.run().catch((thrown: unknown) => {
      // Only a bug gets here (poll errors are handled); the host would hand it to its unhandled-exception handler.
      options.log({
        level: 'error',
        msg: `Queue listener on '${options.queue.name}' stopped polling after an unexpected error.`,
        error: ensureError(thrown),
      });
    });
  }

  wake(): void {
    this.wakeRequested = true;
    this.onWake?.();
  }

  stop(graceMs: number): Promise<void> {
    this.stopping ??= this.shutdown(graceMs);
    return this.stopping;
  }

  private get stopped(): boolean {
    return this.stopping !== undefined;
  }

  private async shutdown(graceMs: number): Promise<void> {
    this.pollAbort.abort();
    this.onWake?.();
    this.onSettled?.();
    await this.loop;
    let timer: NodeJS.Timeout | undefined;
    const drained = await Promise.race([
      Promise.allSettled([...this.processing]).then(() => true),
      new Promise<false>((resolve) => (timer = setTimeout(resolve, graceMs, false))),
    ]);
    clearTimeout(timer);
    if (drained) return;
    this.context.log({
      level: 'warn',
      msg: `Queue listener on '${this.context.queue.name}' stopped with ${this.processing.size} message(s) still processing; they reappear when their lease ends.`,
    });
    this.abandon.abort();
  }

  /** The host's `TaskSeriesTimer` over `QueueListener.ExecuteAsync`: poll, then wait as the poll's result says. */
  private async run(): Promise<void> {
    while (!this.stopped) {
      const found = await this.poll();
      // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- changes during the await above; TypeScript keeps the narrowing from before it
      if (this.stopped) return;
      if (found) {
        // After a hit the next empty poll starts the back-off from the minimum again.
        this.previousDelayMs = 0;
        await this.waitForNewBatchThreshold();
      } else {
        await this.backOff();
      }
    }
  }

  /** One receive; true when it found messages to process. */
  private async poll(): Promise<boolean> {
    this.wakeRequested = false;
    const { queue, settings, leaseMs } = this.context;
    let items: DequeuedMessageItem[];
    try {
      // Check existence before receiving, and again after any error, to back off quietly on a missing queue.
      if (!this.queueExists) this.queueExists = await queue.exists({ abortSignal: this.pollAbort.signal });
      if (!this.queueExists) {
        this.reportMissingQueue();
        return false;
      }
      this.reportedMissing = false;
      const response = await queue.receiveMessages({
        numberOfMessages: settings.batchSize,
        visibilityTimeout: leaseMs / 1000,
        abortSignal: this.pollAbort.signal,
      });
      items = response.receivedMessageItems;
    } catch (thrown) {
      this.queueExists = false;
      if (!this.stopped) this.reportPollFailure(thrown);
      return false;
    }
    // Received after stop(): like the host's cancelled receive, these stay invisible until their lease ends.
    if (this.stopped) return false;
    const messages = await this.decode(items);
    for (const message of messages) this.track(processMessage(this.context, message));
    return messages.length > 0;
  }

  /**
   * The client-side decoding of the host's QueueClient. A message that is not valid base64 never reaches the
   * function: the client's MessageDecodingFailed handler moves it, verbatim, to the poison queue during the
   * receive, and it does not count as a found message.
   */
  private async decode(items: DequeuedMessageItem[]): Promise<ReceivedMessage[]> {
    const messages: ReceivedMessage[] = [];
    for (const item of items) {
      const body =
        this.context.settings.messageEncoding === 'base64'
          ? decodeBase64LikeDotNet(item.messageText)
          : item.messageText;
      if (body !== undefined) messages.push({ item, body });
      else await this.rejectUndecodable(item);
    }
    return messages;
  }

  private async rejectUndecodable(item: DequeuedMessageItem): Promise<void> {
    const { log, poisonQueue, queue } = this.context;
    const where =
      poisonQueue === undefined
        ? 'it stays invisible until its lease ends (no poison queue)'
        : `moving it to '${poisonQueue.name}'`;
    log({
      level: 'warn',
      msg: `Queue message '${item.messageId}' is not valid base64; ${where}.`,
      messageId: item.messageId,
    });
    try {
      await moveToPoison(this.context, item, item.messageText, item.popReceipt);
    } catch (thrown) {
      log({
        level: 'error',
        msg: `Moving undecodable message '${item.messageId}' to the poison queue failed; it stays in queue '${queue.name}' until its lease ends.`,
        messageId: item.messageId,
        error: ensureError(thrown),
      });
    }
  }

  private track(task: Promise<void>): void {
    const tracked = task.finally(() => {
      this.processing.delete(tracked);
      const settled = this.onSettled;
      this.onSettled = undefined;
      settled?.();
    });
    this.processing.add(tracked);
  }

  /** Waits until at most `newBatchThreshold` messages are in flight, so at most batchSize + threshold run at once. */
  private async waitForNewBatchThreshold(): Promise<void> {
    while (this.processing.size > this.context.settings.newBatchThreshold && !this.stopped) {
      await new Promise<void>((resolve) => (this.onSettled = resolve));
    }
  }

  /** Waits the next back-off delay, or less when woken (a wake during the poll counts too, as in the host). */
  private async backOff(): Promise<void> {
    const delay = nextPollingDelayMs(this.previousDelayMs, this.context.settings.maxPollingIntervalMs, this.random);
    this.previousDelayMs = delay;
    if (this.wakeRequested || this.stopped) return;
    await new Promise<void>((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.onWake = undefined;
        resolve();
      };
      const timer = setTimeout(done, delay);
      this.onWake = done;
    });
  }

  private reportMissingQueue(): void {
    if (this.reportedMissing) return;
    this.reportedMissing = true;
    this.context.log({
      level: 'info',
      msg: `Queue '${this.context.queue.name}' does not exist; polling with back-off until it does.`,
    });
  }

  private reportPollFailure(thrown: unknown): void {
    const error = ensureError(thrown);
    const transient = isTransientPollError(thrown);
    this.context.log({
      // The host backs off on transient errors and throws the others to its unhandled-exception handler.
      level: transient ? 'warn' : 'error',
      msg: `Poll on queue '${this.context.queue.name}' threw a ${error.name}. This exception is handled and queue polling will resume after a delay. Message: '${error.message}'`,
      error,
    });
  }
}
