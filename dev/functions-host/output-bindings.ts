import { randomUUID } from 'node:crypto';

import type { TransactionAction } from '@azure/data-tables';

import { createBlobServiceClient, createQueueServiceClient, createTableClient } from '../../shared/storage-clients';
import { resolveStorageConnection } from '../../shared/storage-connection';
import type { RegisteredFunction } from './core-api';
import type { RpcBindingInfo, RpcInvocationResponse, RpcTypedData } from './rpc-types';

/** What writing outputs needs: settings for connections, the queue encoding, and who to tell. */
export interface OutputBindingContext {
  readonly settings: Readonly<Record<string, string | undefined>>;
  readonly messageEncoding: 'base64' | 'none';
  /** Called after messages were added to a queue, so that a listener of this host polls at once. */
  readonly onQueueWritten: (queueName: string) => void;
}

/** An output binding the local host does not write; names the function and binding. */
export class UnsupportedBindingError extends Error {
  override readonly name = 'UnsupportedBindingError';
  readonly code = 'HOST_BINDING_UNSUPPORTED';
}

type OutputWriter = (
  binding: RpcBindingInfo,
  value: unknown,
  data: Record<string, string>,
  context: OutputBindingContext,
) => Promise<void>;

const WRITERS: Record<string, OutputWriter> = {
  queue: writeQueue,
  table: writeTable,
  blob: writeBlob,
};

/** Output binding types the local host writes. */
export const SUPPORTED_OUTPUT_TYPES = Object.keys(WRITERS);

/**
 * Writes the output bindings of a finished invocation as the host does, after the function
 * returned: queue messages (base64 unless `messageEncoding` is `none`; an array is one message per
 * element), table entities (inserted: an existing entity fails the invocation, as in Azure), blobs.
 * `bindingData` fills `{name}` expressions in blob paths.
 */
export async function writeOutputs(
  fn: RegisteredFunction,
  response: RpcInvocationResponse,
  bindingData: Record<string, string>,
  context: OutputBindingContext,
): Promise<void> {
  for (const output of response.outputData ?? []) {
    const { binding, write } = outputWriter(fn, output.name);
    const value = fromTypedData(output.data);
    if (value !== undefined && value !== null) await write(binding, value, bindingData, context);
  }
}

/** The binding an output names and its writer; throws for a binding the local host does not write. */
function outputWriter(
  fn: RegisteredFunction,
  name: string | null | undefined,
): { binding: RpcBindingInfo; write: OutputWriter } {
  const binding = name ? fn.metadata.bindings[name] : undefined;
  const write = binding?.type ? WRITERS[binding.type] : undefined;
  if (!binding || !write) {
    throw new UnsupportedBindingError(
      `function ${fn.metadata.name}: output binding "${String(name)}" (${String(binding?.type)}) is not supported by the local host`,
    );
  }
  return { binding, write };
}

function fromTypedData(data: RpcTypedData | null | undefined): unknown {
  if (!data) return undefined;
  if (data.string !== undefined && data.string !== null) return data.string;
  if (data.json !== undefined && data.json !== null) return JSON.parse(data.json) as unknown;
  if (data.bytes) return Buffer.from(data.bytes);
  return numberOrCollection(data);
}

function numberOrCollection(data: RpcTypedData): unknown {
  if (data.int !== undefined && data.int !== null) return data.int;
  if (data.double !== undefined && data.double !== null) return data.double;
  return collectionOf(data);
}

function collectionOf(data: RpcTypedData): unknown {
  return (
    data.collectionString?.string ??
    data.collectionDouble?.double ??
    data.collectionSint64?.sint64 ??
    data.collectionBytes?.bytes ??
    undefined
  );
}

function setting(binding: RpcBindingInfo, key: string): string {
  const value = binding[key];
  if (typeof value !== 'string' || value === '')
    throw new UnsupportedBindingError(`${String(binding.type)} binding has no "${key}"`);
  return value;
}

function messageText(item: unknown): string {
  if (typeof item === 'string') return item;
  if (Buffer.isBuffer(item)) return item.toString('utf8');
  return JSON.stringify(item);
}

async function writeQueue(
  binding: RpcBindingInfo,
  value: unknown,
  _data: Record<string, string>,
  context: OutputBindingContext,
): Promise<void> {
  const queueName = setting(binding, 'queueName');
  const connection = resolveStorageConnection(context.settings, binding['connection'] as string | undefined, 'queue');
  const queue = createQueueServiceClient(connection).getQueueClient(queueName);
  await queue.createIfNotExists();
  for (const item of Array.isArray(value) ? value : [value]) {
    const text = messageText(item);
    await queue.sendMessage(context.messageEncoding === 'base64' ? Buffer.from(text, 'utf8').toString('base64') : text);
  }
  context.onQueueWritten(queueName);
}

async function writeTable(
  binding: RpcBindingInfo,
  value: unknown,
  _data: Record<string, string>,
  context: OutputBindingContext,
): Promise<void> {
  const connection = resolveStorageConnection(context.settings, binding['connection'] as string | undefined, 'table');
  const table = createTableClient(connection, setting(binding, 'tableName'));
  await table.createTable(); // no-op when it exists
  const entities = (Array.isArray(value) ? value : [value]).map((entity) => toEntity(binding, entity));
  const byPartition = new Map<string, TransactionAction[]>();
  for (const entity of entities) {
    const actions = byPartition.get(entity.partitionKey) ?? [];
    actions.push(['create', entity]);
    byPartition.set(entity.partitionKey, actions);
  }
  for (const actions of byPartition.values()) {
    for (let i = 0; i < actions.length; i += 100) await table.submitTransaction(actions.slice(i, i + 100));
  }
}

function toEntity(
  binding: RpcBindingInfo,
  entity: unknown,
): { partitionKey: string; rowKey: string } & Record<string, unknown> {
  if (typeof entity !== 'object' || entity === null)
    throw new UnsupportedBindingError('a table output must be an object or an array of objects');
  const { PartitionKey, RowKey, partitionKey, rowKey, ...properties } = entity as Record<string, unknown>;
  const keys = entityKeys(binding, { PartitionKey, RowKey, partitionKey, rowKey });
  if (!keys.partitionKey || !keys.rowKey)
    throw new UnsupportedBindingError('a table entity needs PartitionKey and RowKey');
  return { ...properties, ...keys };
}

/** An entity's keys: its own (either spelling) or else the binding's, as text. */
function entityKeys(binding: RpcBindingInfo, given: Record<string, unknown>): { partitionKey: string; rowKey: string } {
  /* eslint-disable @typescript-eslint/no-base-to-string -- keys from app code, taken as text whatever their type, like the host */
  return {
    partitionKey: String(given['PartitionKey'] ?? given['partitionKey'] ?? binding['partitionKey'] ?? ''),
    rowKey: String(given['RowKey'] ?? given['rowKey'] ?? binding['rowKey'] ?? ''),
  };
  /* eslint-enable @typescript-eslint/no-base-to-string -- end of the entity keys */
}

async function writeBlob(
  binding: RpcBindingInfo,
  value: unknown,
  data: Record<string, string>,
  context: OutputBindingContext,
): Promise<void> {
  const path = expandBlobPath(setting(binding, 'path'), data);
  const [container = '', ...rest] = path.split('/');
  const connection = resolveStorageConnection(context.settings, binding['connection'] as string | undefined, 'blob');
  const containerClient = createBlobServiceClient(connection).getContainerClient(container);
  await containerClient.createIfNotExists();
  const body = Buffer.isBuffer(value) ? value : Buffer.from(messageText(value), 'utf8');
  await containerClient.getBlockBlobClient(rest.join('/')).upload(body, body.length);
}

/** Fills `{rand-guid}`, `{DateTime}` and trigger data such as `{id}` in a blob path. */
export function expandBlobPath(path: string, data: Record<string, string>): string {
  return path.replace(/\{([^{}]+)\}/g, (_match, name: string) => {
    if (name.toLowerCase() === 'rand-guid') return randomUUID();
    if (name.toLowerCase() === 'datetime') return new Date().toISOString();
    const found = Object.entries(data).find(([key]) => key.toLowerCase() === name.toLowerCase());
    if (!found) throw new UnsupportedBindingError(`blob path ${path}: no binding data named "${name}"`);
    return found[1];
  });
}
