import { RestError } from '@azure/storage-queue';

import { createBlobServiceClient, createQueueServiceClient, createTableServiceClient } from '../shared/storage-clients';
import type { StorageConnection, StorageService } from '../shared/storage-connection';
import {
  DRIVERS_TABLE,
  LEDGER_EVENTS_POISON_QUEUE,
  LEDGER_EVENTS_QUEUE,
  POLICIES_TABLE,
  PREMIUM_CHANGES_QUEUE,
  PREMIUMS_TABLE,
  VIN_RESERVATIONS_TABLE,
} from '../shared/storage-names';

/** The queues, tables and containers of the product, as infra/ creates them in Azure. */
export const STORAGE_LAYOUT = {
  queues: [LEDGER_EVENTS_QUEUE, LEDGER_EVENTS_POISON_QUEUE, PREMIUM_CHANGES_QUEUE],
  tables: [DRIVERS_TABLE, PREMIUMS_TABLE, POLICIES_TABLE, VIN_RESERVATIONS_TABLE],
} as const;

/**
 * Creates whatever of the storage layout is missing (local storage has nothing until asked), plus the relay's
 * checkpoint container. Safe to run again.
 */
export async function provisionStorage(
  storage: Readonly<Record<StorageService, StorageConnection>>,
  checkpointContainer: string,
): Promise<void> {
  const queues = createQueueServiceClient(storage.queue);
  const tables = createTableServiceClient(storage.table);
  await Promise.all([
    ...STORAGE_LAYOUT.queues.map((name) => queues.getQueueClient(name).createIfNotExists()),
    ...STORAGE_LAYOUT.tables.map((name) => createTableIfMissing(tables, name)),
    createBlobServiceClient(storage.blob).getContainerClient(checkpointContainer).createIfNotExists(),
  ]);
}

async function createTableIfMissing(tables: ReturnType<typeof createTableServiceClient>, name: string): Promise<void> {
  try {
    await tables.createTable(name);
  } catch (error: unknown) {
    if (!(error instanceof RestError && error.statusCode === 409)) throw error;
  }
}
