import { existsSync, unwatchFile, watchFile } from 'node:fs';

import { BigchainDbClient } from '../shared/bigchaindb-client';
import { openCheckpointer } from '../shared/checkpoint';
import { jsonLinesLog, type Log } from '../shared/json-log';
import { parseRelaySettings, type RelaySettings } from '../shared/settings';
import { createBlobServiceClient, createQueueServiceClient } from '../shared/storage-clients';
import { resolveStorageConnection } from '../shared/storage-connection';
import { BlobCheckpointStore } from './blob-checkpoint-store';
import { connectEventStream } from './event-stream-client';
import { createLeaderLease } from './leader-lease';
import { Relay } from './relay';

// The relay worker's process: the only file that reads the environment, handles signals and sets
// the exit code. Runs as a continuous WebJob (run.js) or with `npm run relay`.

/** Stops on SIGTERM, SIGINT, or the file Azure WebJobs creates to ask for a graceful stop. */
function shutdownSignal(settings: RelaySettings, log: Log): AbortSignal {
  const controller = new AbortController();
  const stop = (reason: string): void => {
    if (controller.signal.aborted) return;
    log({ level: 'info', msg: 'shutting down', reason });
    controller.abort(new Error(reason));
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
  const shutdownFile = settings.shutdownFile;
  if (shutdownFile) {
    watchFile(shutdownFile, { interval: 1_000 }, () => existsSync(shutdownFile) && stop('WEBJOBS_SHUTDOWN_FILE'));
    controller.signal.addEventListener('abort', () => unwatchFile(shutdownFile));
  }
  return controller.signal;
}

async function main(): Promise<void> {
  const log = jsonLinesLog((line) => process.stdout.write(line));
  const settings = parseRelaySettings(process.env);
  const shutdown = shutdownSignal(settings, log);
  const queue = createQueueServiceClient(resolveStorageConnection(process.env, settings.storageConnection, 'queue')).getQueueClient(settings.queueName);
  const container = createBlobServiceClient(resolveStorageConnection(process.env, settings.storageConnection, 'blob')).getContainerClient(
    settings.checkpointContainer,
  );
  await queue.createIfNotExists();
  await container.createIfNotExists();
  log({ level: 'info', msg: 'relay starting', instanceId: settings.instanceId, queue: settings.queueName, bigchainDb: settings.bigchainDbApiUrl });

  // A lease is one term as leader; after losing it, this instance stands by for the next term.
  while (!shutdown.aborted) {
    const lease = createLeaderLease({
      container,
      blobName: `${settings.queueName}/leader`,
      leaseDurationSeconds: settings.leaseSeconds,
      retryIntervalMs: Math.max(1_000, (settings.leaseSeconds * 1_000) / 3),
      instanceId: settings.instanceId,
      log,
    });
    try {
      await lease.acquire(shutdown);
    } catch {
      break; // shutdown while standing by
    }
    log({ level: 'info', msg: 'leader lease acquired; relaying', instanceId: settings.instanceId });
    const checkpointer = await openCheckpointer(new BlobCheckpointStore({ container, blobName: `${settings.queueName}/checkpoint.json` }), shutdown);
    const relay = new Relay({
      settings,
      bigchainDb: new BigchainDbClient({ apiUrl: settings.bigchainDbApiUrl }),
      connectStream: connectEventStream,
      send: async (text) => void (await queue.sendMessage(text)),
      checkpointer,
      log,
    });
    await relay.run(anySignal(shutdown, lease.lost));
    await relay.flush();
    log({ level: 'info', msg: 'relay stopped', checkpoint: checkpointer.getHeight() ?? null, ...relay.counters });
    await lease.release();
  }
}

/** Aborts when either signal does (AbortSignal.any, which keeps listeners on long-lived signals, is avoided). */
function anySignal(a: AbortSignal, b: AbortSignal): AbortSignal {
  const controller = new AbortController();
  const abort = (): void => controller.abort();
  if (a.aborted || b.aborted) abort();
  a.addEventListener('abort', abort, { once: true });
  b.addEventListener('abort', abort, { once: true });
  return controller.signal;
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`relay failed: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
