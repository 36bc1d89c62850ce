import type { DequeuedMessageItem, QueueClient, QueueServiceClient } from '@azure/storage-queue';

import { ensureError } from '../../shared/errors';
import type { QueueListenerLog, QueueTriggerMessage, QueueTriggerSettings } from './queue-listener';

/**
 * What happens to one received trigger message: decoding, the processing lease, the handler call and the
 * completion (delete, release or poison), as the Storage Queues extension's `QueueProcessor` and
 * `QueueListener.ProcessMessageAsync` do it (azure-functions.md §2.3, §2.6).
 */

/** What processing one message needs from its listener. */
export interface MessageProcessorContext {
  readonly queue: QueueClient;
  readonly poisonQueue: QueueClient | undefined;
  readonly settings: QueueTriggerSettings;
  readonly handler: (message: QueueTriggerMessage) => Promise<void>;
  readonly log: QueueListenerLog;
  readonly leaseMs: number;
  /** Aborted when the listener's stop grace ends: renewals and storage calls stop, the lease runs out. */
  readonly abandoned: AbortSignal;
}

/** A received message whose text passed the client-side decoding (base64 → bytes, or raw text). */
export interface ReceivedMessage {
  readonly item: DequeuedMessageItem;
  /** Decoded bytes (base64 encoding) or the raw text (encoding `none`). */
  readonly body: Buffer | string;
}

/** `<queue>-poison`, or undefined when the host would have no poison queue (`QueueListenerFactory`). */
export function poisonQueueName(queueName: string): string | undefined {
  if (queueName.endsWith('-poison')) return undefined;
  const name = `${queueName}-poison`;
  return name.length <= 63 && /^[a-z0-9](?:[a-z0-9]|-(?!-))*[a-z0-9]$/.test(name) ? name : undefined;
}

/** The poison queue of `queueName` on the account of `service`, or undefined when there can be none. */
export function poisonQueueFor(service: QueueServiceClient, queueName: string): QueueClient | undefined {
  const name = poisonQueueName(queueName);
  return name === undefined ? undefined : service.getQueueClient(name);
}

// Whitespace that .NET's Convert.FromBase64String skips anywhere in its input.
const BASE64_WHITESPACE = /[ \t\r\n]/g;
const BASE64_BODY = /^[A-Za-z0-9+/]*={0,2}$/;

/**
 * Decodes base64 exactly as the host does (`Convert.FromBase64String`): spaces, tabs, CR and LF are ignored,
 * the rest must be a multiple of 4 characters of the standard alphabet with at most two `=` at the very end.
 * Non-zero bits in the last character are accepted, as .NET does. Returns undefined where .NET throws.
 */
export function decodeBase64LikeDotNet(text: string): Buffer | undefined {
  const compact = text.replace(BASE64_WHITESPACE, '');
  if (compact.length % 4 !== 0 || !BASE64_BODY.test(compact)) return undefined;
  return Buffer.from(compact, 'base64');
}

// The host binds the message to a string with UTF8Encoding(false, throwOnInvalidBytes: true) (`ToValidUTF8String`):
// invalid bytes throw, and a BOM is kept, not stripped.
const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** The text the host would bind, or undefined when its string binding would throw (invalid UTF-8). */
function bodyAsString(body: Buffer | string): string | undefined {
  if (typeof body === 'string') return body;
  try {
    return strictUtf8.decode(body);
  } catch {
    return undefined;
  }
}

/**
 * Runs one message to completion and never throws: a storage failure is logged and leaves the message in
 * the queue, invisible until its lease ends, so it is never lost.
 */
export async function processMessage(context: MessageProcessorContext, message: ReceivedMessage): Promise<void> {
  const { item } = message;
  try {
    // QueueProcessor.BeginProcessingMessageAsync: over the limit already (crashes, lost leases) → poison unseen.
    if (item.dequeueCount > context.settings.maxDequeueCount) {
      await moveToPoison(context, item, poisonCopyText(message), item.popReceipt);
      return;
    }
    const lease = new LeaseRenewal(context, item);
    let failure: Error | undefined;
    try {
      failure = await invoke(context, message);
    } finally {
      await lease.stop();
    }
    if (!context.abandoned.aborted) await complete(context, message, lease.popReceipt, failure);
  } catch (thrown) {
    if (context.abandoned.aborted) return;
    const error = ensureError(thrown);
    context.log({
      level: 'error',
      msg: `Completing queue message '${item.messageId}' failed; it stays in queue '${context.queue.name}' and reappears when its lease ends.`,
      messageId: item.messageId,
      error,
    });
  }
}

/** Calls the handler; resolves to the failure, if any (the host's `FunctionResult`). */
async function invoke(context: MessageProcessorContext, message: ReceivedMessage): Promise<Error | undefined> {
  const { item } = message;
  const text = bodyAsString(message.body);
  if (text === undefined) {
    // The host's string binding throws before the function runs; that counts as a failed invocation.
    const error = new Error(
      `Queue message's body cannot be converted to string because it contains non-UTF8 bytes, message id=${item.messageId}`,
    );
    context.log({ level: 'error', msg: error.message, messageId: item.messageId });
    return error;
  }
  const metadata = {
    DequeueCount: item.dequeueCount,
    Id: item.messageId,
    InsertionTime: item.insertedOn.toISOString(),
    ExpirationTime: item.expiresOn.toISOString(),
    NextVisibleTime: item.nextVisibleOn.toISOString(),
    PopReceipt: item.popReceipt,
    QueueTrigger: text,
  };
  try {
    await context.handler({ text, metadata });
    return undefined;
  } catch (thrown) {
    return ensureError(thrown);
  }
}

/** `QueueProcessor.CompleteProcessingMessageAsync`. */
async function complete(
  context: MessageProcessorContext,
  message: ReceivedMessage,
  popReceipt: string,
  failure: Error | undefined,
): Promise<void> {
  const { item } = message;
  if (failure === undefined) {
    await tolerateLostMessage(
      context.queue.deleteMessage(item.messageId, popReceipt, { abortSignal: context.abandoned }),
    );
  } else if (context.poisonQueue === undefined) {
    // No poison queue possible: leave the message invisible (no release) so it cannot loop hot.
    context.log({
      level: 'warn',
      msg: `Queue message '${item.messageId}' failed and queue '${context.queue.name}' has no poison queue; it stays invisible until its lease ends.`,
      messageId: item.messageId,
    });
  } else if (item.dequeueCount >= context.settings.maxDequeueCount) {
    await moveToPoison(context, item, poisonCopyText(message), popReceipt);
  } else {
    // Release: visible again after the configured retry delay. The REST API takes whole seconds (.NET truncates).
    const visibilityTimeout = Math.trunc(context.settings.visibilityTimeoutMs / 1000);
    await tolerateLostMessage(
      context.queue.updateMessage(item.messageId, popReceipt, undefined, visibilityTimeout, {
        abortSignal: context.abandoned,
      }),
    );
  }
}

/**
 * The body the host writes to the poison queue: it re-encodes the decoded bytes with the same encoding, which
 * for canonical base64 is the original text, character for character.
 */
function poisonCopyText(message: ReceivedMessage): string {
  return typeof message.body === 'string' ? message.item.messageText : message.body.toString('base64');
}

/**
 * `QueueProcessor.HandlePoisonMessageAsync`: copy (creating the poison queue on first use), then delete. Without
 * a poison queue it does nothing, so the message stays invisible until its lease ends. The copy happens before
 * the delete, so a failure in between can duplicate the message into the poison queue but never lose it.
 */
export async function moveToPoison(
  context: MessageProcessorContext,
  item: DequeuedMessageItem,
  text: string,
  popReceipt: string,
): Promise<void> {
  const poisonQueue = context.poisonQueue;
  if (poisonQueue === undefined) return;
  context.log({
    level: 'warn',
    msg: `Message has reached MaxDequeueCount of ${context.settings.maxDequeueCount}. Moving message to queue '${poisonQueue.name}'.`,
    messageId: item.messageId,
    dequeueCount: item.dequeueCount,
  });
  const options = { abortSignal: context.abandoned };
  try {
    await poisonQueue.sendMessage(text, options);
  } catch (thrown) {
    if (storageErrorCode(thrown) !== 'QueueNotFound') throw thrown;
    await poisonQueue.createIfNotExists(options);
    await poisonQueue.sendMessage(text, options);
  }
  await tolerateLostMessage(context.queue.deleteMessage(item.messageId, popReceipt, options));
  context.log({
    level: 'info',
    msg: `Message '${item.messageId}' moved to queue '${poisonQueue.name}'.`,
    messageId: item.messageId,
  });
}

/** `{ statusCode, code }` of a storage `RestError`, read structurally so that any copy of the class matches. */
function storageError(thrown: unknown): { statusCode: number | undefined; code: string | undefined } {
  const { statusCode, code } = (typeof thrown === 'object' && thrown !== null ? thrown : {}) as Record<string, unknown>;
  return {
    statusCode: typeof statusCode === 'number' ? statusCode : undefined,
    code: typeof code === 'string' ? code : undefined,
  };
}

function storageErrorCode(thrown: unknown): string | undefined {
  return storageError(thrown).code;
}

// "Someone else owns this message now, or it is gone": the host ignores these on delete and release, and stops
// renewing on them (`IsBadRequestPopReceiptMismatch`, `IsNotFoundMessageOrQueueNotFound`, `IsConflictQueueBeingDeletedOrDisabled`).
const LOST_MESSAGE_ERRORS = new Set([
  '400 PopReceiptMismatch',
  '404 MessageNotFound',
  '404 QueueNotFound',
  '409 QueueBeingDeleted',
]);
// Poll errors the host backs off on besides 5xx; it throws the others to its unhandled-exception handler.
const TRANSIENT_POLL_ERRORS = new Set(['404 QueueNotFound', '409 QueueBeingDeleted']);

/** Whether a storage error means the message was taken over by another receiver or deleted. */
export function isMessageLost(thrown: unknown): boolean {
  const { statusCode, code } = storageError(thrown);
  return LOST_MESSAGE_ERRORS.has(`${String(statusCode)} ${String(code)}`);
}

/** Whether a poll error is one the host backs off on (server errors, missing queue, queue being deleted). */
export function isTransientPollError(thrown: unknown): boolean {
  const { statusCode, code } = storageError(thrown);
  const serverError = statusCode !== undefined && statusCode >= 500 && statusCode < 600;
  return serverError || TRANSIENT_POLL_ERRORS.has(`${String(statusCode)} ${String(code)}`);
}

async function tolerateLostMessage(operation: Promise<unknown>): Promise<void> {
  try {
    await operation;
  } catch (thrown) {
    if (!isMessageLost(thrown)) throw thrown;
  }
}

// The host's MinimumVisibilityRenewalInterval: after failed renewals the interval halves down to this.
const MIN_RENEWAL_INTERVAL_MS = 60_000;

/**
 * Keeps a message invisible while its handler runs: `updateMessage` with the current pop receipt every half lease,
 * keeping each new pop receipt for the final delete or release (`UpdateQueueMessageVisibilityCommand` with
 * `LinearSpeedupStrategy`).
 */
class LeaseRenewal {
  private receipt: string;
  private readonly normalIntervalMs: number;
  private intervalMs: number;
  private timer: NodeJS.Timeout | undefined;
  private renewing: Promise<void> | undefined;
  private stopped = false;
  private readonly onAbandon = (): void => clearTimeout(this.timer);

  constructor(
    private readonly context: MessageProcessorContext,
    private readonly item: DequeuedMessageItem,
  ) {
    this.receipt = item.popReceipt;
    this.normalIntervalMs = context.leaseMs / 2;
    this.intervalMs = this.normalIntervalMs;
    context.abandoned.addEventListener('abort', this.onAbandon, { once: true });
    this.schedule();
  }

  /** The pop receipt of the latest successful renewal (or of the receive). */
  get popReceipt(): string {
    return this.receipt;
  }

  /** Stops renewing, waiting for a renewal in flight so its new pop receipt is not missed. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    this.context.abandoned.removeEventListener('abort', this.onAbandon);
    await this.renewing;
  }

  private schedule(): void {
    if (this.stopped || this.context.abandoned.aborted) return;
    this.timer = setTimeout(() => {
      this.renewing = this.renew().finally(() => (this.renewing = undefined));
    }, this.intervalMs);
  }

  private async renew(): Promise<void> {
    const { queue, abandoned, leaseMs } = this.context;
    try {
      const response = await queue.updateMessage(this.item.messageId, this.receipt, undefined, leaseMs / 1000, {
        abortSignal: abandoned,
      });
      this.receipt = response.popReceipt ?? this.receipt;
      this.intervalMs = this.normalIntervalMs;
    } catch (thrown) {
      if (abandoned.aborted) return;
      const lost = isMessageLost(thrown);
      this.intervalMs = Math.max(this.intervalMs / 2, Math.min(MIN_RENEWAL_INTERVAL_MS, this.normalIntervalMs));
      this.context.log({
        level: 'warn',
        msg: lost
          ? `Lease on queue message '${this.item.messageId}' was lost; it is no longer renewed.`
          : `Renewing the lease on queue message '${this.item.messageId}' failed; retrying in ${this.intervalMs} ms.`,
        messageId: this.item.messageId,
        error: ensureError(thrown),
      });
      // Once the pop receipt no longer matches (or the message is gone), ownership is lost for good.
      if (lost) return;
    }
    this.schedule();
  }
}
