import { existsSync, unwatchFile, watchFile } from 'node:fs';

import type { ContainerClient } from '@azure/storage-blob';
import type { QueueClient } from '@azure/storage-queue';

import { BigchainDbClient } from '../shared/bigchaindb-client';
import { BlobCheckpointStore } from '../shared/blob-checkpoint-store';
import { openCheckpointer } from '../shared/checkpoint';
import { jsonLinesLog, type Log } from '../shared/json-log';
import { parseRelaySettings, type RelaySettings } from '../shared/settings';
import { createBlobServiceClient, createQueueServiceClient } from '../shared/storage-clients';
import { resolveStorageConnection } from '../shared/storage-connection';
import { createTelemetry, type Telemetry } from '../shared/telemetry';
import {
  formatRedriveProgress,
  formatReplayProgress,
  formatReplayShortfall,
  formatStatus,
  parseRelayArguments,
  RELAY_USAGE,
  type RelayCommand,
} from './cli';
import { connectEventStream } from './event-stream-client';
import { createLeaderLease } from './leader-lease';
import {
  poisonQueueName,
  redrivePoison,
  type RelayOperationsDependencies,
  relayStatus,
  replayHeights,
} from './operations';
import { Relay } from './relay';

// The relay worker's process: the only file that reads the environment, handles signals and sets
// the exit code. Runs as a continuous WebJob (run.js) or with `npm run relay`; `npm run relay -- status |
// replay | redrive` runs an operations command instead (relay-worker/cli.ts).

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
  const queue = createQueueServiceClient(
    resolveStorageConnection(process.env, settings.storageConnection, 'queue'),
  ).getQueueClient(settings.queueName);
  const container = createBlobServiceClient(
    resolveStorageConnection(process.env, settings.storageConnection, 'blob'),
  ).getContainerClient(settings.checkpointContainer);
  await queue.createIfNotExists();
  await container.createIfNotExists();
  const telemetry = createTelemetry({
    connectionString: settings.applicationInsightsConnectionString,
    authenticationString: settings.applicationInsightsAuthenticationString,
    cloudRole: 'relay-worker',
    cloudRoleInstance: settings.instanceId,
    // Its flush and shutdown, after the final checkpoint, must fit in the WebJob's 30 s stopping wait (settings.job).
    timeoutMs: 5_000,
    log,
  });
  log({
    level: 'info',
    msg: 'relay starting',
    instanceId: settings.instanceId,
    queue: settings.queueName,
    bigchainDb: settings.bigchainDbApiUrl,
  });
  try {
    await relayWhileLeader({ settings, shutdown, queue, container, telemetry, log });
  } finally {
    await telemetry.shutdown();
  }
}

/** Relays during each term as leader and stands by between terms, until `shutdown` aborts. */
async function relayWhileLeader(parts: {
  readonly settings: RelaySettings;
  readonly shutdown: AbortSignal;
  readonly queue: QueueClient;
  readonly container: ContainerClient;
  readonly telemetry: Telemetry;
  readonly log: Log;
}): Promise<void> {
  const { settings, shutdown, queue, container, telemetry, log } = parts;
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
    const checkpointer = await openCheckpointer(
      new BlobCheckpointStore({ container, blobName: `${settings.queueName}/checkpoint.json` }),
      shutdown,
    );
    const relay = new Relay({
      settings,
      bigchainDb: new BigchainDbClient({ apiUrl: settings.bigchainDbApiUrl }),
      connectStream: connectEventStream,
      send: async (text) => {
        await queue.sendMessage(text);
      },
      checkpointer,
      log,
      telemetry,
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

/** Runs `relay status`, `replay` or `redrive` with the clients `main` would use; progress goes to stderr. */
async function operate(command: Exclude<RelayCommand, { name: 'run' | 'help' }>): Promise<void> {
  const settings = parseRelaySettings(process.env);
  const queueService = createQueueServiceClient(
    resolveStorageConnection(process.env, settings.storageConnection, 'queue'),
  );
  const deps: RelayOperationsDependencies = {
    queue: queueService.getQueueClient(settings.queueName),
    poisonQueue: queueService.getQueueClient(poisonQueueName(settings.queueName)),
    container: createBlobServiceClient(
      resolveStorageConnection(process.env, settings.storageConnection, 'blob'),
    ).getContainerClient(settings.checkpointContainer),
    bigchainDb: new BigchainDbClient({ apiUrl: settings.bigchainDbApiUrl }),
  };
  switch (command.name) {
    case 'status': {
      const status = await relayStatus(deps);
      process.stdout.write(command.json ? `${JSON.stringify(status, null, 2)}\n` : formatStatus(status));
      return;
    }
    case 'replay': {
      const onProgress = (progress: Parameters<typeof formatReplayProgress>[0]): void =>
        void (progress.done ? process.stdout : process.stderr).write(formatReplayProgress(progress));
      const result = await replayHeights(deps, {
        from: command.from,
        to: command.to,
        concurrency: settings.sendConcurrency,
        onProgress,
      });
      process.stderr.write(formatReplayShortfall(command, result.lastHeight));
      return;
    }
    case 'redrive': {
      const moved = await redrivePoison(deps, {
        onProgress: (progress) => process.stderr.write(formatRedriveProgress(progress)),
      });
      process.stdout.write(formatRedriveProgress({ moved }, true));
      return;
    }
  }
}

function fail(prefix: string): (error: unknown) => never {
  return (error: unknown) => {
    process.stderr.write(`${prefix}: ${error instanceof Error ? error.message : String(error)}\n`);
    return process.exit(1);
  };
}

let command: RelayCommand;
try {
  command = parseRelayArguments(process.argv.slice(2));
} catch (error: unknown) {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n\n${RELAY_USAGE}`);
  process.exit(2);
}
if (command.name === 'help') {
  process.stdout.write(RELAY_USAGE);
  process.exit(0);
} else if (command.name === 'run') {
  main().then(() => process.exit(0), fail('relay failed'));
} else {
  operate(command).then(() => process.exit(0), fail(`relay ${command.name} failed`));
}
