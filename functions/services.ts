import type { TableClient } from '@azure/data-tables';
import type { ContainerClient } from '@azure/storage-blob';
import type { QueueClient } from '@azure/storage-queue';

import type { BigchainDb } from '../shared/bigchaindb';
import { BigchainDbClient } from '../shared/bigchaindb-client';
import type { Log } from '../shared/json-log';
import type { FunctionsSettings } from '../shared/settings';
import { createBlobServiceClient, createQueueServiceClient, createTableClient } from '../shared/storage-clients';
import {
  DRIVERS_TABLE,
  LEDGER_EVENTS_POISON_QUEUE,
  LEDGER_EVENTS_QUEUE,
  POLICIES_TABLE,
  PREMIUM_CHANGES_QUEUE,
  PREMIUMS_TABLE,
  VIN_RESERVATIONS_TABLE,
} from '../shared/storage-names';
import { createTelemetry, type Telemetry } from '../shared/telemetry';
import type { KeyPair } from '../shared/transaction/signing';

/**
 * What the functions work with, built once per worker process from the settings (functions/index.ts) or by a
 * test from its own Azurite and dev node. Each handler factory takes the `Pick` of it that it uses.
 */
export interface Services {
  readonly bigchainDb: BigchainDb;
  /** Signs car registrations, leases and returns. */
  readonly leasingCompany: KeyPair;
  /** Shared secret of the ledger-events webhook's signatures. */
  readonly webhookSecret: string;
  readonly drivers: TableClient;
  readonly premiums: TableClient;
  readonly policies: TableClient;
  /** Which car registration holds each VIN while it commits. */
  readonly vinReservations: TableClient;
  readonly ledgerEvents: QueueClient;
  /** Where the host moves ledger events that keep failing (health check). */
  readonly ledgerEventsPoison: QueueClient;
  readonly premiumChanges: QueueClient;
  /** The relay's checkpoint container (health check). */
  readonly checkpoints: ContainerClient;
  readonly telemetry: Telemetry;
  readonly now: () => Date;
}

/**
 * Builds the services from validated settings. Creates clients only; nothing is contacted until used. `log` hears of
 * telemetry failures (function invocations log through their context instead).
 */
export function createServices(settings: FunctionsSettings, log?: Log): Services {
  const queues = createQueueServiceClient(settings.storage.queue);
  return {
    bigchainDb: new BigchainDbClient({
      apiUrl: settings.bigchainDbApiUrl,
      requestTimeoutMs: settings.bigchainDbRequestTimeoutMs,
    }),
    leasingCompany: settings.leasingCompany,
    webhookSecret: settings.webhookSecret,
    drivers: createTableClient(settings.storage.table, DRIVERS_TABLE),
    premiums: createTableClient(settings.storage.table, PREMIUMS_TABLE),
    policies: createTableClient(settings.storage.table, POLICIES_TABLE),
    vinReservations: createTableClient(settings.storage.table, VIN_RESERVATIONS_TABLE),
    ledgerEvents: queues.getQueueClient(LEDGER_EVENTS_QUEUE),
    ledgerEventsPoison: queues.getQueueClient(LEDGER_EVENTS_POISON_QUEUE),
    premiumChanges: queues.getQueueClient(PREMIUM_CHANGES_QUEUE),
    checkpoints: createBlobServiceClient(settings.storage.blob).getContainerClient(settings.checkpointContainer),
    telemetry: createTelemetry({
      connectionString: settings.applicationInsightsConnectionString,
      authenticationString: settings.applicationInsightsAuthenticationString,
      cloudRole: 'functions',
      log,
    }),
    now: () => new Date(),
  };
}
