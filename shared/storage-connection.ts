import type { TokenCredential } from '@azure/core-auth';
import { DefaultAzureCredential, ManagedIdentityCredential } from '@azure/identity';

/** The storage services a connection can reach. */
export type StorageService = 'blob' | 'queue' | 'table';

/** Where a storage connection points and how to authenticate, resolved from app settings. */
export type StorageConnection =
  | { readonly kind: 'connectionString'; readonly connectionString: string }
  | { readonly kind: 'identity'; readonly serviceUri: string; readonly credential: TokenCredential };

/** A connection setting that is missing or unusable; names the setting. */
export class StorageConnectionError extends Error {
  override readonly name = 'StorageConnectionError';
  readonly code = 'STORAGE_CONNECTION_INVALID';
  constructor(
    readonly setting: string,
    reason: string,
  ) {
    super(`storage connection "${setting}": ${reason}`);
  }
}

/**
 * Resolves a binding's `connection` name the way the Functions host does: an empty name means
 * `AzureWebJobsStorage`; the setting `<name>`, else `AzureWebJobs<name>`, holds a connection string
 * (`UseDevelopmentStorage=true` included); otherwise identity-based settings
 * `<name>__<service>ServiceUri`, `<name>__serviceUri` or `<name>__accountName` name the account,
 * with `<name>__credential=managedidentity` and `<name>__clientId` for a managed identity, and the
 * developer's own identity (`DefaultAzureCredential`) otherwise.
 *
 * @throws StorageConnectionError when no setting of that name exists.
 */
export function resolveStorageConnection(
  settings: Readonly<Record<string, string | undefined>>,
  connectionName: string | undefined,
  service: StorageService,
): StorageConnection {
  const name = connectionName || 'AzureWebJobsStorage';
  const candidates = name.startsWith('AzureWebJobs') ? [name] : [name, `AzureWebJobs${name}`];
  for (const candidate of candidates) {
    const connectionString = settings[candidate];
    if (connectionString) return { kind: 'connectionString', connectionString };
    const serviceUri = identityServiceUri(settings, candidate, service);
    if (serviceUri) return { kind: 'identity', serviceUri, credential: identityCredential(settings, candidate) };
  }
  throw new StorageConnectionError(
    name,
    `not configured: set "${name}" to a connection string, or "${name}__${service}ServiceUri" (or "${name}__accountName") for an identity-based connection`,
  );
}

function identityServiceUri(
  settings: Readonly<Record<string, string | undefined>>,
  prefix: string,
  service: StorageService,
): string | undefined {
  const explicit = settings[`${prefix}__${service}ServiceUri`] ?? settings[`${prefix}__serviceUri`];
  if (explicit) return explicit;
  const account = settings[`${prefix}__accountName`];
  return account ? `https://${account}.${service}.core.windows.net` : undefined;
}

function identityCredential(settings: Readonly<Record<string, string | undefined>>, prefix: string): TokenCredential {
  if (settings[`${prefix}__credential`]?.toLowerCase() !== 'managedidentity') return new DefaultAzureCredential();
  const clientId = settings[`${prefix}__clientId`];
  return clientId ? new ManagedIdentityCredential({ clientId }) : new ManagedIdentityCredential();
}
