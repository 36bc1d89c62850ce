import { type QueueClient, QueueServiceClient, RestError } from '@azure/storage-queue';

import { type LocalStorage, startLocalStorage } from '../../../dev/azurite/local-storage';
import {
  nextPollingDelayMs,
  poisonQueueFor,
  poisonQueueName,
  type QueueListener,
  type QueueListenerLogEntry,
  type QueueListenerOptions,
  type QueueTriggerMessage,
  type QueueTriggerSettings,
  startQueueListener,
} from '../../../dev/functions-host/queue-listener';
import { decodeBase64LikeDotNet } from '../../../dev/functions-host/queue-message-processor';

// Helpers stay in this file: the brief for this suite allows no other file to be touched.

interface Deferred<T> {
  readonly promise: Promise<T>;
  resolve(value: T): void;
}

function deferred<T = void>(): Deferred<T> {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

const base64 = (text: string): string => Buffer.from(text, 'utf8').toString('base64');

/** Fast settings: polls at most 100 ms apart, retries at once. */
const fast = (overrides: Partial<QueueTriggerSettings> = {}): QueueTriggerSettings => ({
  batchSize: 16,
  newBatchThreshold: 8,
  maxPollingIntervalMs: 100,
  visibilityTimeoutMs: 0,
  maxDequeueCount: 5,
  messageEncoding: 'base64',
  ...overrides,
});

interface Harness {
  readonly listener: QueueListener;
  readonly logs: QueueListenerLogEntry[];
  /** Resolves with the `times`-th log entry (past or future) whose message matches. */
  readonly logged: (pattern: RegExp, times?: number) => Promise<QueueListenerLogEntry>;
}

let storage: LocalStorage;
let service: QueueServiceClient;
const listeners: QueueListener[] = [];
const cleanups: (() => void)[] = [];

beforeEach(async () => {
  storage = await startLocalStorage();
  service = QueueServiceClient.fromConnectionString(storage.connectionString);
});

afterEach(async () => {
  jest.restoreAllMocks();
  cleanups.splice(0).forEach((cleanup) => cleanup());
  try {
    await Promise.all(listeners.splice(0).map((listener) => listener.stop(0)));
  } finally {
    await storage.close();
  }
});

async function createQueue(name: string): Promise<QueueClient> {
  const queue = service.getQueueClient(name);
  await queue.create();
  return queue;
}

function listen(
  queue: QueueClient,
  handler: QueueListenerOptions['handler'],
  options: Partial<Omit<QueueListenerOptions, 'queue' | 'handler'>> = {},
): Harness {
  const logs: QueueListenerLogEntry[] = [];
  const waiting: { pattern: RegExp; times: number; done: Deferred<QueueListenerLogEntry> }[] = [];
  const matching = (pattern: RegExp): QueueListenerLogEntry[] => logs.filter((entry) => pattern.test(entry.msg));
  const listener = startQueueListener({
    queue,
    poisonQueue: poisonQueueFor(service, queue.name),
    settings: fast(),
    log: (entry) => {
      logs.push(entry);
      for (const { pattern, times, done } of waiting) if (matching(pattern).length === times) done.resolve(entry);
    },
    handler,
    ...options,
  });
  listeners.push(listener);
  const logged = (pattern: RegExp, times = 1): Promise<QueueListenerLogEntry> => {
    const past = matching(pattern)[times - 1];
    if (past !== undefined) return Promise.resolve(past);
    const done = deferred<QueueListenerLogEntry>();
    waiting.push({ pattern, times, done });
    return done.promise;
  };
  return { listener, logs, logged };
}

async function peekTexts(queue: QueueClient): Promise<string[]> {
  return (await queue.peekMessages({ numberOfMessages: 32 })).peekedMessageItems.map((item) => item.messageText);
}

async function approximateCount(queue: QueueClient): Promise<number | undefined> {
  return (await queue.getProperties()).approximateMessagesCount;
}

describe('nextPollingDelayMs', () => {
  const half = (): number => 0.5;

  it('waits the 100 ms minimum after the first empty poll', () => {
    expect(nextPollingDelayMs(0, 60_000, half)).toBe(100);
  });

  it('doubles the increment on each further empty poll: 200, 300, 500, 900, 1700 ms with random 0.5', () => {
    const delays = [nextPollingDelayMs(0, 60_000, half)];
    for (let n = 0; n < 5; n++) delays.push(nextPollingDelayMs(delays[delays.length - 1] ?? 0, 60_000, half));
    expect(delays).toEqual([100, 200, 300, 500, 900, 1700]);
  });

  it('randomizes the increment between 0.8 and 1.2 times, whatever the previous draw was', () => {
    expect(nextPollingDelayMs(100, 60_000, () => 0)).toBeCloseTo(180, 9);
    expect(nextPollingDelayMs(100, 60_000, () => 1)).toBeCloseTo(220, 9);
    expect(nextPollingDelayMs(180, 60_000, () => 1)).toBeCloseTo(340, 9);
    expect(nextPollingDelayMs(220, 60_000, () => 0)).toBeCloseTo(260, 9);
    expect(nextPollingDelayMs(260, 60_000, () => 1)).toBeCloseTo(580, 9);
    expect(nextPollingDelayMs(580, 60_000, () => 0)).toBeCloseTo(740, 9);
  });

  it('caps the delay at maxPollingInterval and stays there', () => {
    const delays = [nextPollingDelayMs(0, 2_000, () => 1)];
    for (let n = 0; n < 6; n++) delays.push(nextPollingDelayMs(delays[delays.length - 1] ?? 0, 2_000, () => 1));
    expect(delays.map(Math.round)).toEqual([100, 220, 340, 580, 1060, 2000, 2000]);
  });

  it('rejects a maxPollingInterval under 100 ms, as the host does', () => {
    expect(() => nextPollingDelayMs(0, 99, half)).toThrow(
      new RangeError('maxPollingIntervalMs must not be less than 100, got 99'),
    );
  });
});

describe('decodeBase64LikeDotNet', () => {
  it('decodes canonical base64 and skips spaces, tabs and line breaks', () => {
    expect(decodeBase64LikeDotNet('aGVsbG8=')?.toString()).toBe('hello');
    expect(decodeBase64LikeDotNet(' aGVs\r\nbG8=\t')?.toString()).toBe('hello');
    expect(decodeBase64LikeDotNet('')?.toString()).toBe('');
  });

  it('rejects what Convert.FromBase64String rejects: bad length, foreign characters, misplaced padding', () => {
    expect(
      ['aGVsbG8', 'hello world', '{"a":1}', 'aGV=bG8=', 'aG===', 'aGVsbG8-', 'aGVsbG8_'].map((text) =>
        decodeBase64LikeDotNet(text),
      ),
    ).toEqual([undefined, undefined, undefined, undefined, undefined, undefined, undefined]);
  });
});

describe('poisonQueueName', () => {
  it('appends -poison unless the queue is a poison queue or the name would pass 63 characters', () => {
    expect(poisonQueueName('orders')).toBe('orders-poison');
    expect(poisonQueueName('orders-poison')).toBeUndefined();
    expect(poisonQueueName('q'.repeat(56))).toBe(`${'q'.repeat(56)}-poison`);
    expect(poisonQueueName('q'.repeat(57))).toBeUndefined();
  });
});

describe('startQueueListener', () => {
  it('rejects settings outside the host ranges, naming each one', async () => {
    const queue = service.getQueueClient('orders');
    const start = (): QueueListener =>
      startQueueListener({
        queue,
        settings: fast({ batchSize: 33, maxDequeueCount: 0, maxPollingIntervalMs: 50 }),
        handler: async () => undefined,
        log: () => undefined,
        leaseMs: 1_500,
      });
    expect(start).toThrow(
      new RangeError(
        'Invalid queue trigger settings: batchSize must be an integer in 1..32; maxPollingIntervalMs must be ≥ 100; ' +
          'maxDequeueCount must be an integer ≥ 1; leaseMs must be whole seconds, at least 1000',
      ),
    );
  });
});

describe('delivery', () => {
  it('delivers a base64 message decoded, with the host metadata, and deletes it after success', async () => {
    const queue = await createQueue('orders');
    const text = '{"vin":"WVWZZZ1JZXW000001","ü":"€"}';
    const sent = await queue.sendMessage(base64(text));
    const delivered = deferred<QueueTriggerMessage>();
    const { listener } = listen(queue, async (message) => delivered.resolve(message));

    const message = await delivered.promise;
    await listener.stop(5_000);

    expect(message).toEqual({
      text,
      metadata: {
        DequeueCount: 1,
        Id: sent.messageId,
        InsertionTime: sent.insertedOn.toISOString(),
        ExpirationTime: sent.expiresOn.toISOString(),
        NextVisibleTime: expect.any(String),
        PopReceipt: expect.any(String),
        QueueTrigger: text,
      },
    });
    // Received with the host's 10-minute lease.
    expect(Date.parse(message.metadata.NextVisibleTime) - sent.insertedOn.getTime()).toBeGreaterThanOrEqual(600_000);
    expect(await peekTexts(queue)).toEqual([]);
    expect(await approximateCount(queue)).toBe(0);
  });

  it('delivers the raw text when messageEncoding is none', async () => {
    const queue = await createQueue('orders');
    await queue.sendMessage('plain {"not":"base64"}');
    const delivered = deferred<QueueTriggerMessage>();
    listen(queue, async (message) => delivered.resolve(message), { settings: fast({ messageEncoding: 'none' }) });

    const message = await delivered.promise;
    expect([message.text, message.metadata.QueueTrigger]).toEqual(['plain {"not":"base64"}', 'plain {"not":"base64"}']);
  });

  it('redelivers a failed message with the next DequeueCount until the handler succeeds, then deletes it', async () => {
    const queue = await createQueue('orders');
    const sent = await queue.sendMessage(base64('retry me'));
    const seen: [number, string][] = [];
    const succeeded = deferred();
    const { listener } = listen(queue, async ({ metadata }) => {
      seen.push([metadata.DequeueCount, metadata.Id]);
      if (seen.length < 3) throw new Error(`attempt ${seen.length} fails`);
      succeeded.resolve();
    });

    await succeeded.promise;
    await listener.stop(5_000);

    expect(seen).toEqual([
      [1, sent.messageId],
      [2, sent.messageId],
      [3, sent.messageId],
    ]);
    expect(await approximateCount(queue)).toBe(0);
  });

  it('keeps a failed message invisible for visibilityTimeout before redelivering it', async () => {
    const queue = await createQueue('orders');
    await queue.sendMessage(base64('later'));
    const invokedAt: number[] = [];
    const second = deferred();
    listen(
      queue,
      async () => {
        invokedAt.push(Date.now());
        if (invokedAt.length === 1) throw new Error('first attempt fails');
        second.resolve();
      },
      { settings: fast({ visibilityTimeoutMs: 1_000 }) },
    );

    await second.promise;
    const [first = 0, again = 0] = invokedAt;
    expect(again - first).toBeGreaterThanOrEqual(1_000 - 20);
  });
});

describe('poison messages', () => {
  it('tries an always-failing message maxDequeueCount times, then moves it unchanged to <queue>-poison', async () => {
    const queue = await createQueue('orders');
    const original = base64('{"always":"fails"}');
    const sent = await queue.sendMessage(original);
    const counts: number[] = [];
    const { listener, logged } = listen(
      queue,
      async ({ metadata }) => {
        counts.push(metadata.DequeueCount);
        throw new Error('always fails');
      },
      { settings: fast({ maxDequeueCount: 3 }) },
    );

    const warning = await logged(/^Message has reached MaxDequeueCount/);
    await listener.stop(5_000);

    expect(warning).toEqual({
      level: 'warn',
      msg: "Message has reached MaxDequeueCount of 3. Moving message to queue 'orders-poison'.",
      messageId: sent.messageId,
      dequeueCount: 3,
    });
    expect(counts).toEqual([1, 2, 3]);
    expect(await peekTexts(service.getQueueClient('orders-poison'))).toEqual([original]);
    expect(await peekTexts(queue)).toEqual([]);
    expect(await approximateCount(queue)).toBe(0);
  });

  it('moves plain text on a base64 queue verbatim to <queue>-poison without invoking the function', async () => {
    const queue = await createQueue('orders');
    await queue.sendMessage('{"sent":"without base64"}');
    const handler = jest.fn(async () => undefined);
    const { listener, logged } = listen(queue, handler);

    await logged(/^Message has reached MaxDequeueCount of 5\. Moving message to queue 'orders-poison'\.$/);
    await listener.stop(5_000);

    expect(handler).not.toHaveBeenCalled();
    expect(await peekTexts(service.getQueueClient('orders-poison'))).toEqual(['{"sent":"without base64"}']);
    expect(await approximateCount(queue)).toBe(0);
  });

  it('moves a message received past maxDequeueCount to poison without invoking the function', async () => {
    const queue = await createQueue('orders');
    const original = base64('crashed twice');
    await queue.sendMessage(original);
    // Two deliveries whose host "crashed": received, then made visible again without completion.
    for (let n = 0; n < 2; n++) {
      const [item] = (await queue.receiveMessages({ visibilityTimeout: 30 })).receivedMessageItems;
      if (item === undefined) throw new Error('message not received');
      await queue.updateMessage(item.messageId, item.popReceipt, undefined, 0);
    }
    const handler = jest.fn(async () => undefined);
    const { listener, logged } = listen(queue, handler, { settings: fast({ maxDequeueCount: 2 }) });

    expect(await logged(/^Message has reached/)).toMatchObject({ dequeueCount: 3 });
    await listener.stop(5_000);

    expect(handler).not.toHaveBeenCalled();
    expect(await peekTexts(service.getQueueClient('orders-poison'))).toEqual([original]);
    expect(await approximateCount(queue)).toBe(0);
  });

  it('fails the invocation of valid base64 that is not UTF-8 without running the function', async () => {
    const queue = await createQueue('orders');
    const original = Buffer.from([0xff, 0xfe, 0x41]).toString('base64');
    await queue.sendMessage(original);
    const handler = jest.fn(async () => undefined);
    const { listener, logs, logged } = listen(queue, handler, { settings: fast({ maxDequeueCount: 2 }) });

    await logged(/^Message has reached/);
    await listener.stop(5_000);

    expect(handler).not.toHaveBeenCalled();
    expect(logs.filter((entry) => /non-UTF8 bytes/.test(entry.msg)).map((entry) => entry.level)).toEqual([
      'error',
      'error',
    ]);
    expect(await peekTexts(service.getQueueClient('orders-poison'))).toEqual([original]);
  });

  it('leaves a failed message invisible when its queue can have no poison queue', async () => {
    const queue = await createQueue('orders-poison');
    await queue.sendMessage(base64('poison of poison'));
    const handler = jest.fn(async () => {
      throw new Error('fails');
    });
    const { listener, logged } = listen(queue, handler);

    await logged(/has no poison queue; it stays invisible until its lease ends\.$/);
    await listener.stop(5_000);

    expect(handler).toHaveBeenCalledTimes(1);
    expect(await peekTexts(queue)).toEqual([]);
    expect(await approximateCount(queue)).toBe(1);
    const names: string[] = [];
    for await (const item of service.listQueues()) names.push(item.name);
    expect(names).toEqual(['orders-poison']);
  });
});

describe('never losing a message', () => {
  it('keeps a message whose delete failed and delivers it again when its lease ends', async () => {
    const queue = await createQueue('orders');
    await queue.sendMessage(base64('delete fails once'));
    jest
      .spyOn(queue, 'deleteMessage')
      .mockRejectedValueOnce(new RestError('Server busy', { statusCode: 503, code: 'ServerBusy' }));
    const counts: number[] = [];
    const twice = deferred();
    const { listener, logs } = listen(
      queue,
      async ({ metadata }) => {
        counts.push(metadata.DequeueCount);
        if (counts.length === 2) twice.resolve();
      },
      { leaseMs: 1_000 },
    );

    await twice.promise;
    await listener.stop(5_000);

    expect(counts).toEqual([1, 2]);
    expect(logs.filter((entry) => entry.level === 'error').map((entry) => entry.msg)).toEqual([
      expect.stringMatching(
        /^Completing queue message '[^']+' failed; it stays in queue 'orders' and reappears when its lease ends\.$/,
      ),
    ]);
    expect(await approximateCount(queue)).toBe(0);
  });

  it('does not delete a message whose copy to the poison queue failed', async () => {
    const queue = await createQueue('orders');
    const original = base64('poison copy fails once');
    await queue.sendMessage(original);
    const poisonQueue = service.getQueueClient('orders-poison');
    jest
      .spyOn(poisonQueue, 'sendMessage')
      .mockRejectedValueOnce(new RestError('Server busy', { statusCode: 503, code: 'ServerBusy' }));
    const handler = jest.fn(async () => {
      throw new Error('fails');
    });
    const { listener, logs, logged } = listen(queue, handler, {
      poisonQueue,
      settings: fast({ maxDequeueCount: 1 }),
      leaseMs: 1_000,
    });

    await logged(/moved to queue/, 1);
    await listener.stop(5_000);

    // First delivery: fails, copy fails, message kept. Second (DequeueCount 2 > 1): poisoned without invoking.
    expect(handler).toHaveBeenCalledTimes(1);
    expect(logs.map((entry) => [entry.level, entry['dequeueCount']])).toEqual([
      ['warn', 1],
      ['error', undefined],
      ['warn', 2],
      ['info', undefined],
    ]);
    expect(await peekTexts(poisonQueue)).toEqual([original]);
    expect(await approximateCount(queue)).toBe(0);
  });
});

describe('concurrency', () => {
  it('polls again only once in-flight messages drop to newBatchThreshold, so at most batchSize + threshold run', async () => {
    const queue = await createQueue('orders');
    for (let n = 0; n < 20; n++) await queue.sendMessage(base64(`message ${n}`));
    let receivesStarted = 0;
    const receive = queue.receiveMessages.bind(queue);
    jest.spyOn(queue, 'receiveMessages').mockImplementation((...args) => {
      receivesStarted += 1;
      return receive(...args);
    });
    let onDeleted: (() => void) | undefined;
    const remove = queue.deleteMessage.bind(queue);
    jest.spyOn(queue, 'deleteMessage').mockImplementation(async (...args) => {
      const response = await remove(...args);
      onDeleted?.();
      return response;
    });
    const gates: Deferred<void>[] = [];
    let invoked = 0;
    let maxRunning = 0;
    let burstPending = false;
    const all = deferred();
    // Finish handlers one at a time, oldest first, each after the previous one's delete, until the listener polls.
    const finishOne = (): void => {
      const receivesBefore = receivesStarted;
      onDeleted = () => setImmediate(() => receivesStarted === receivesBefore && finishOne());
      gates.shift()?.resolve();
    };
    const { listener } = listen(
      queue,
      async () => {
        const gate = deferred();
        gates.push(gate);
        invoked += 1;
        maxRunning = Math.max(maxRunning, gates.length);
        if (invoked === 20) all.resolve();
        if (!burstPending) {
          burstPending = true;
          setImmediate(() => {
            burstPending = false;
            finishOne();
          });
        }
        await gate.promise;
      },
      { settings: fast({ batchSize: 4, newBatchThreshold: 2 }) },
    );

    await all.promise;
    gates.splice(0).forEach((gate) => gate.resolve());
    await listener.stop(5_000);

    expect([invoked, maxRunning]).toEqual([20, 6]);
    expect(await approximateCount(queue)).toBe(0);
  });
});

describe('lease', () => {
  it('renews the lease while a handler outlives it, and deletes with the renewed pop receipt', async () => {
    const queue = await createQueue('orders');
    await queue.sendMessage(base64('long running'));
    const renewals: number[] = [];
    const thirdRenewal = deferred();
    const update = queue.updateMessage.bind(queue);
    jest.spyOn(queue, 'updateMessage').mockImplementation(async (...args) => {
      const response = await update(...args);
      renewals.push(Date.now());
      if (renewals.length === 3) thirdRenewal.resolve();
      return response;
    });
    const started = deferred<number>();
    const finish = deferred();
    const { listener } = listen(
      queue,
      async () => {
        started.resolve(Date.now());
        await finish.promise;
      },
      { leaseMs: 1_000 },
    );

    const startedAt = await started.promise;
    await thirdRenewal.promise;
    expect(Date.now() - startedAt).toBeGreaterThan(1_000);
    // Past the 1 s lease, the message is still invisible to peeks and to other receivers.
    expect(await peekTexts(queue)).toEqual([]);
    expect((await service.getQueueClient('orders').receiveMessages()).receivedMessageItems).toEqual([]);
    finish.resolve();
    await listener.stop(5_000);

    expect(await approximateCount(queue)).toBe(0);
  });
});

describe('#stop', () => {
  it('waits for in-flight handlers and completes their messages before resolving', async () => {
    const queue = await createQueue('orders');
    await queue.sendMessage(base64('in flight'));
    const started = deferred();
    const finish = deferred();
    const events: string[] = [];
    const { listener } = listen(queue, async () => {
      started.resolve();
      await finish.promise;
      events.push('handler finished');
    });

    await started.promise;
    const stopped = listener.stop(5_000).then(() => events.push('stopped'));
    await new Promise(setImmediate);
    events.push('released');
    finish.resolve();
    await stopped;

    expect(events).toEqual(['released', 'handler finished', 'stopped']);
    expect(await approximateCount(queue)).toBe(0);
  });

  it('gives up after the grace period and leaves unfinished messages invisible until their lease ends', async () => {
    const queue = await createQueue('orders');
    await queue.sendMessage(base64('stuck'));
    const started = deferred();
    const never = deferred();
    cleanups.push(() => never.resolve());
    const { listener, logged } = listen(queue, async () => {
      started.resolve();
      await never.promise;
    });

    await started.promise;
    await listener.stop(100);

    expect(await logged(/^Queue listener on 'orders' stopped with 1 message\(s\) still processing/)).toMatchObject({
      level: 'warn',
    });
    expect(await peekTexts(queue)).toEqual([]);
    expect(await approximateCount(queue)).toBe(1);
  });
});

describe('polling', () => {
  it('polls at once when woken during a long back-off', async () => {
    const queue = await createQueue('orders');
    let receives = 0;
    const fifthEmptyPoll = deferred();
    const receive = queue.receiveMessages.bind(queue);
    jest.spyOn(queue, 'receiveMessages').mockImplementation(async (...args) => {
      const response = await receive(...args);
      receives += 1;
      if (receives === 5) fifthEmptyPoll.resolve();
      return response;
    });
    const delivered = deferred<number>();
    const { listener } = listen(queue, async () => delivered.resolve(receives), {
      settings: fast({ maxPollingIntervalMs: 60_000 }),
      random: () => 1,
    });

    // Back-off so far: 100, 220, 340, 580 ms; the next wait would be 1060 ms.
    await fifthEmptyPoll.promise;
    await queue.sendMessage(base64('written by an output binding'));
    const wokenAt = Date.now();
    listener.wake();

    expect(await delivered.promise).toBe(6);
    expect(Date.now() - wokenAt).toBeLessThan(1_060);
  });

  it('logs a failed poll and keeps polling after a back-off', async () => {
    const queue = await createQueue('orders');
    await queue.sendMessage(base64('after the outage'));
    jest
      .spyOn(queue, 'receiveMessages')
      .mockRejectedValueOnce(new RestError('Server busy', { statusCode: 503, code: 'ServerBusy' }))
      .mockRejectedValueOnce(new RestError('Forbidden', { statusCode: 403, code: 'AuthorizationFailure' }));
    const delivered = deferred<string>();
    const { logs } = listen(queue, async (message) => delivered.resolve(message.text));

    expect(await delivered.promise).toBe('after the outage');
    expect(logs.map(({ level, msg }) => [level, msg])).toEqual([
      [
        'warn',
        "Poll on queue 'orders' threw a RestError. This exception is handled and queue polling will resume after a delay. Message: 'Server busy'",
      ],
      [
        'error',
        "Poll on queue 'orders' threw a RestError. This exception is handled and queue polling will resume after a delay. Message: 'Forbidden'",
      ],
    ]);
  });

  it('backs off on a missing queue without throwing and picks up messages once it exists', async () => {
    const queue = service.getQueueClient('created-later');
    const delivered = deferred<string>();
    const { logged } = listen(queue, async (message) => delivered.resolve(message.text));

    expect(await logged(/^Queue 'created-later' does not exist/)).toMatchObject({ level: 'info' });
    await queue.create();
    await queue.sendMessage(base64('first'));

    expect(await delivered.promise).toBe('first');
  });
});
