import { TableClient, TableServiceClient } from '@azure/data-tables';
import { BlobServiceClient } from '@azure/storage-blob';
import { QueueServiceClient } from '@azure/storage-queue';

import type { StorageConnection } from './storage-connection';

// Local emulators (Azurite) speak plain HTTP; the Tables SDK refuses that unless told otherwise.
const insecureIfLocal = (connectionString: string): { allowInsecureConnection: boolean } => ({
  allowInsecureConnection: /(^|;)\s*(UseDevelopmentStorage=true|DefaultEndpointsProtocol=http)\s*(;|$)/i.test(
    connectionString,
  ),
});

/** A queue service client for a resolved connection. */
export function createQueueServiceClient(connection: StorageConnection): QueueServiceClient {
  return connection.kind === 'connectionString'
    ? QueueServiceClient.fromConnectionString(connection.connectionString)
    : new QueueServiceClient(connection.serviceUri, connection.credential);
}

/** A blob service client for a resolved connection. */
export function createBlobServiceClient(connection: StorageConnection): BlobServiceClient {
  return connection.kind === 'connectionString'
    ? BlobServiceClient.fromConnectionString(connection.connectionString)
    : new BlobServiceClient(connection.serviceUri, connection.credential);
}

/** A table client for a resolved connection. */
export function createTableClient(connection: StorageConnection, tableName: string): TableClient {
  return connection.kind === 'connectionString'
    ? TableClient.fromConnectionString(
        connection.connectionString,
        tableName,
        insecureIfLocal(connection.connectionString),
      )
    : new TableClient(connection.serviceUri, tableName, connection.credential);
}

/** A table service client (to create tables) for a resolved connection. */
export function createTableServiceClient(connection: StorageConnection): TableServiceClient {
  return connection.kind === 'connectionString'
    ? TableServiceClient.fromConnectionString(connection.connectionString, insecureIfLocal(connection.connectionString))
    : new TableServiceClient(connection.serviceUri, connection.credential);
}
