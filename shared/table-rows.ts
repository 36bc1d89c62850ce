import { RestError, type TableClient } from '@azure/data-tables';
import Ajv, { type ValidateFunction } from 'ajv';

import { CorruptRowError, ensureError, UpstreamError } from './errors';

// What the insurer's table stores (driver-store.ts, premium-store.ts, policy-store.ts) share: turning storage
// failures into UpstreamError, and reading rows back through a schema so that a corrupt row is a
// CorruptRowError naming it, never a crash deep in a handler.

/** The ajv instance of stored rows: strict, first error only, no coercion, no defaults; `type: [x, 'null']` allowed. */
const ajv = new Ajv({ strict: true, allowUnionTypes: true, allErrors: false, coerceTypes: false, useDefaults: false });

/** Compiles the schema of a stored row (or of a JSON property of one). */
export function compileRowSchema<T>(schema: object): ValidateFunction<T> {
  return ajv.compile<T>(schema);
}

/** Where a row lives, for error messages. */
export interface RowAddress {
  readonly partitionKey: string;
  readonly rowKey: string;
}

/** A height as a row stores it: `Edm.Int64`, because block heights are not bounded by Int32. */
export function int64(value: number): bigint {
  return BigInt(value);
}

/** The HTTP status of a failed storage call; `undefined` when no response arrived (network failure). */
export function storageStatusOf(error: unknown): number | undefined {
  return error instanceof RestError ? error.statusCode : undefined;
}

/**
 * The {@link UpstreamError} (service `storage`, status 503) of a table call that failed in a way that is no
 * answer: the caller retries later (HTTP 503 with `Retry-After`, or a queue redelivery).
 */
export function tableFailure(
  table: TableClient,
  operation: string,
  address: RowAddress | undefined,
  error: unknown,
): UpstreamError {
  const cause = ensureError(error);
  const upstreamStatus = storageStatusOf(error);
  const where =
    address === undefined ? table.tableName : `${table.tableName}/${address.partitionKey}/${address.rowKey}`;
  const status = upstreamStatus === undefined ? '' : ` (HTTP ${upstreamStatus})`;
  return new UpstreamError({
    status: 503,
    service: 'storage',
    message: `storage: ${operation} ${where} failed${status}: ${cause.message}`,
    ...(upstreamStatus === undefined ? {} : { upstreamStatus }),
    cause,
  });
}

/**
 * The storage service's error code (`TableNotFound`, `ResourceNotFound`, ...), which the Tables SDK leaves in the
 * OData error body rather than in `RestError.code`.
 */
export function storageErrorCodeOf(error: unknown): string | undefined {
  if (!(error instanceof RestError)) return undefined;
  const odataCode = (error.details as { odataError?: { code?: unknown } } | undefined)?.odataError?.code;
  return error.code ?? (typeof odataCode === 'string' && odataCode !== '' ? odataCode : undefined);
}

/**
 * Reads one row with its ETag, or `undefined` when there is none.
 *
 * @throws UpstreamError for any other failure, a missing table included (a deployment fault, never "no row").
 */
export async function getRow(
  table: TableClient,
  address: RowAddress,
): Promise<(Record<string, unknown> & { etag: string }) | undefined> {
  try {
    return await table.getEntity(address.partitionKey, address.rowKey);
  } catch (error: unknown) {
    if (storageStatusOf(error) === 404 && storageErrorCodeOf(error) !== 'TableNotFound') return undefined;
    throw tableFailure(table, 'read', address, error);
  }
}

/**
 * Checks a value read from a row against its schema.
 *
 * @throws CorruptRowError naming the row, the field and the rule it breaks.
 */
export function expectRow<T>(
  validate: ValidateFunction<T>,
  table: TableClient,
  address: RowAddress,
  value: unknown,
): T {
  if (validate(value)) return value;
  const first = validate.errors?.[0];
  const reason =
    first === undefined
      ? 'does not match its schema'
      : `${first.instancePath || '/'} ${first.message ?? `must pass ${first.keyword}`}`;
  throw new CorruptRowError({ table: table.tableName, ...address, reason });
}

/**
 * Parses a property that holds JSON text.
 *
 * @throws CorruptRowError when it is not a string of JSON.
 */
export function parseJsonProperty(table: TableClient, address: RowAddress, name: string, value: unknown): unknown {
  if (typeof value !== 'string')
    throw new CorruptRowError({ table: table.tableName, ...address, reason: `/${name} must be JSON text` });
  try {
    return JSON.parse(value) as unknown;
  } catch (error: unknown) {
    throw new CorruptRowError({ table: table.tableName, ...address, reason: `/${name} is not JSON`, cause: error });
  }
}

/** A height read back from `Edm.Int64` (a bigint) as a number; anything else is left for the schema to refuse. */
export function heightOf(value: unknown): unknown {
  return typeof value === 'bigint' ? Number(value) : value;
}
