import { DefaultAzureCredential, ManagedIdentityCredential } from '@azure/identity';

import {
  createBlobServiceClient,
  createQueueServiceClient,
  createTableClient,
  createTableServiceClient,
} from '../../../shared/storage-clients';
import {
  resolveStorageConnection,
  type StorageConnection,
  StorageConnectionError,
  type StorageService,
} from '../../../shared/storage-connection';
import { thrown } from '../../helpers/thrown';

// Azurite's well-known development account key (public, documented; not a secret).
const DEV_KEY = 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';
const AZURITE =
  `DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=${DEV_KEY};` +
  'BlobEndpoint=http://127.0.0.1:41001/devstoreaccount1;QueueEndpoint=http://127.0.0.1:41002/devstoreaccount1;' +
  'TableEndpoint=http://127.0.0.1:41003/devstoreaccount1;';
const OTHER = `DefaultEndpointsProtocol=https;AccountName=other;AccountKey=${DEV_KEY};EndpointSuffix=core.windows.net`;
const CLIENT_ID = '6a0b8e64-3c1f-4a8e-9a57-1f5cb1f0c0de';

function identity(connection: StorageConnection): Extract<StorageConnection, { kind: 'identity' }> {
  if (connection.kind !== 'identity') throw new Error(`expected an identity-based connection, got ${connection.kind}`);
  return connection;
}

/** The client id a ManagedIdentityCredential was built with (an SDK field: the class exposes no getter). */
const clientIdOf = (credential: unknown): unknown => (credential as { clientId?: unknown }).clientId;

describe('resolveStorageConnection', () => {
  describe('connection strings', () => {
    it.each([[''], [undefined]])('reads AzureWebJobsStorage for the connection name %j', (name) => {
      expect(resolveStorageConnection({ AzureWebJobsStorage: AZURITE, MyStorage: OTHER }, name, 'queue')).toStrictEqual(
        {
          kind: 'connectionString',
          connectionString: AZURITE,
        },
      );
    });

    it('reads the setting with exactly the connection name', () => {
      expect(
        resolveStorageConnection({ AzureWebJobsStorage: AZURITE, MyStorage: OTHER }, 'MyStorage', 'queue'),
      ).toStrictEqual({
        kind: 'connectionString',
        connectionString: OTHER,
      });
    });

    it('falls back to AzureWebJobs<name>, so that MyStorage matches AzureWebJobsMyStorage', () => {
      expect(resolveStorageConnection({ AzureWebJobsMyStorage: OTHER }, 'MyStorage', 'blob')).toStrictEqual({
        kind: 'connectionString',
        connectionString: OTHER,
      });
    });

    it('prefers the exact name over the AzureWebJobs-prefixed one', () => {
      expect(
        resolveStorageConnection({ AzureWebJobsMyStorage: AZURITE, MyStorage: OTHER }, 'MyStorage', 'queue'),
      ).toStrictEqual({
        kind: 'connectionString',
        connectionString: OTHER,
      });
    });

    it('prefers identity settings under the exact name over a connection string under the prefixed one', () => {
      const connection = resolveStorageConnection(
        { AzureWebJobsMyStorage: AZURITE, MyStorage__queueServiceUri: 'https://exact.queue.core.windows.net' },
        'MyStorage',
        'queue',
      );

      expect(identity(connection).serviceUri).toBe('https://exact.queue.core.windows.net');
    });

    it('takes UseDevelopmentStorage=true as a connection string', () => {
      expect(
        resolveStorageConnection({ AzureWebJobsStorage: 'UseDevelopmentStorage=true' }, undefined, 'table'),
      ).toStrictEqual({
        kind: 'connectionString',
        connectionString: 'UseDevelopmentStorage=true',
      });
    });
  });

  describe('identity-based connections', () => {
    it('uses X__queueServiceUri with the developer identity when no credential is set', () => {
      const connection = identity(
        resolveStorageConnection({ X__queueServiceUri: 'https://acct.queue.core.windows.net' }, 'X', 'queue'),
      );

      expect(connection.serviceUri).toBe('https://acct.queue.core.windows.net');
      expect(connection.credential).toBeInstanceOf(DefaultAzureCredential);
    });

    it('takes X__serviceUri as an alias', () => {
      const connection = identity(
        resolveStorageConnection({ X__serviceUri: 'https://acct.queue.core.windows.net' }, 'X', 'queue'),
      );

      expect(connection.serviceUri).toBe('https://acct.queue.core.windows.net');
    });

    it('prefers X__<service>ServiceUri over the X__serviceUri alias', () => {
      const settings = {
        X__serviceUri: 'https://alias.queue.core.windows.net',
        X__queueServiceUri: 'https://explicit.queue.core.windows.net',
      };

      expect(identity(resolveStorageConnection(settings, 'X', 'queue')).serviceUri).toBe(
        'https://explicit.queue.core.windows.net',
      );
    });

    it.each<[StorageService, string]>([
      ['queue', 'https://acct.queue.core.windows.net'],
      ['table', 'https://acct.table.core.windows.net'],
      ['blob', 'https://acct.blob.core.windows.net'],
    ])('derives the public-cloud %s endpoint from X__accountName', (service, uri) => {
      expect(identity(resolveStorageConnection({ X__accountName: 'acct' }, 'X', service)).serviceUri).toBe(uri);
    });

    it('reads identity settings of the host connection AzureWebJobsStorage for an empty name', () => {
      expect(
        identity(resolveStorageConnection({ AzureWebJobsStorage__accountName: 'host' }, '', 'blob')).serviceUri,
      ).toBe('https://host.blob.core.windows.net');
    });

    it('uses a user-assigned managed identity for __credential=managedidentity with __clientId', () => {
      const settings = { X__accountName: 'acct', X__credential: 'managedidentity', X__clientId: CLIENT_ID };
      const { credential } = identity(resolveStorageConnection(settings, 'X', 'queue'));

      expect(credential).toBeInstanceOf(ManagedIdentityCredential);
      expect(credential.constructor.name).toBe('ManagedIdentityCredential');
      expect(clientIdOf(credential)).toBe(CLIENT_ID);
    });

    it('uses the system-assigned managed identity for __credential=ManagedIdentity without __clientId', () => {
      const { credential } = identity(
        resolveStorageConnection({ X__accountName: 'acct', X__credential: 'ManagedIdentity' }, 'X', 'queue'),
      );

      expect(credential).toBeInstanceOf(ManagedIdentityCredential);
      expect(clientIdOf(credential)).toBeUndefined();
    });

    it('ignores __clientId without __credential=managedidentity and uses the developer identity', () => {
      const { credential } = identity(
        resolveStorageConnection({ X__accountName: 'acct', X__clientId: CLIENT_ID }, 'X', 'queue'),
      );

      expect(credential).toBeInstanceOf(DefaultAzureCredential);
    });
  });

  describe('when nothing is configured', () => {
    function connectionError(
      settings: Record<string, string>,
      name: string | undefined,
      service: StorageService,
    ): unknown {
      const error = thrown(() => resolveStorageConnection(settings, name, service));
      expect(error).toBeInstanceOf(StorageConnectionError);
      const { name: errorName, code, setting, message } = error as StorageConnectionError;
      return { name: errorName, code, setting, message };
    }

    const notConfigured = (setting: string, service: StorageService): unknown => ({
      name: 'StorageConnectionError',
      code: 'STORAGE_CONNECTION_INVALID',
      setting,
      message: `storage connection "${setting}": not configured: set "${setting}" to a connection string, or "${setting}__${service}ServiceUri" (or "${setting}__accountName") for an identity-based connection`,
    });

    it('names the setting and both ways to configure it', () => {
      expect(connectionError({ AzureWebJobsStorage: AZURITE }, 'MyStorage', 'queue')).toEqual({
        name: 'StorageConnectionError',
        code: 'STORAGE_CONNECTION_INVALID',
        setting: 'MyStorage',
        message:
          'storage connection "MyStorage": not configured: set "MyStorage" to a connection string, or "MyStorage__queueServiceUri" (or "MyStorage__accountName") for an identity-based connection',
      });
    });

    it('names AzureWebJobsStorage and the service asked for when the name is empty', () => {
      expect(connectionError({}, undefined, 'table')).toEqual({
        name: 'StorageConnectionError',
        code: 'STORAGE_CONNECTION_INVALID',
        setting: 'AzureWebJobsStorage',
        message:
          'storage connection "AzureWebJobsStorage": not configured: set "AzureWebJobsStorage" to a connection string, or "AzureWebJobsStorage__tableServiceUri" (or "AzureWebJobsStorage__accountName") for an identity-based connection',
      });
    });

    it('treats an empty setting as not configured', () => {
      expect(connectionError({ MyStorage: '' }, 'MyStorage', 'blob')).toEqual(notConfigured('MyStorage', 'blob'));
    });

    it('does not take a URI for another service', () => {
      expect(connectionError({ X__queueServiceUri: 'https://acct.queue.core.windows.net' }, 'X', 'table')).toEqual(
        notConfigured('X', 'table'),
      );
    });
  });
});

describe('storage clients', () => {
  const azurite: StorageConnection = { kind: 'connectionString', connectionString: AZURITE };

  it('target the endpoints of an Azurite-style http connection string', () => {
    expect({
      queue: createQueueServiceClient(azurite).url,
      blob: createBlobServiceClient(azurite).url,
      table: createTableClient(azurite, 'ledger').url,
      tableService: createTableServiceClient(azurite).url,
    }).toEqual({
      queue: 'http://127.0.0.1:41002/devstoreaccount1',
      blob: 'http://127.0.0.1:41001/devstoreaccount1',
      table: 'http://127.0.0.1:41003/devstoreaccount1',
      tableService: 'http://127.0.0.1:41003/devstoreaccount1',
    });
    expect(createTableClient(azurite, 'ledger').tableName).toBe('ledger');
  });

  it('target the service URI of an identity-based connection', () => {
    const settings = { X__accountName: 'acct' };

    expect({
      queue: createQueueServiceClient(resolveStorageConnection(settings, 'X', 'queue')).url,
      blob: createBlobServiceClient(resolveStorageConnection(settings, 'X', 'blob')).url,
      table: createTableClient(resolveStorageConnection(settings, 'X', 'table'), 'ledger').url,
      tableService: createTableServiceClient(resolveStorageConnection(settings, 'X', 'table')).url,
    }).toEqual({
      queue: 'https://acct.queue.core.windows.net',
      // The Blob SDK normalises a bare host to end with a slash.
      blob: 'https://acct.blob.core.windows.net/',
      table: 'https://acct.table.core.windows.net',
      tableService: 'https://acct.table.core.windows.net',
    });
  });
});
