import { type BlockBlobClient, type ContainerClient, RestError } from '@azure/storage-blob';

import { assertBlockHeight, type CheckpointStore, isBlockHeight, type StoredCheckpoint } from './checkpoint';
import { CheckpointConflictError, CheckpointCorruptError, CheckpointUnavailableError } from './relay-errors';

/** Options of {@link BlobCheckpointStore}. */
export interface BlobCheckpointStoreOptions {
  /** The container of the checkpoint blob; created on the first write when missing. */
  readonly container: ContainerClient;
  /** The checkpoint blob's name, e.g. `relay/checkpoint.json`. */
  readonly blobName: string;
  /** Clock for the `updatedAt` field. Default `() => new Date()`. */
  readonly now?: () => Date;
}

/** The checkpoint blob's content. `updatedAt` is informational (for `relay status`); only `height` is used. */
interface CheckpointDocument {
  readonly height: number;
  readonly updatedAt: string;
}

/**
 * A {@link CheckpointStore} in one block blob holding `{ "height": n, "updatedAt": "<ISO time>" }`. Each write
 * replaces the blob atomically with a conditional Put Blob: `If-Match: <ETag>` when a version is expected,
 * `If-None-Match: *` for the first write, so that two writers can never both succeed.
 *
 * Errors: "not found" (blob or container) reads as `undefined`; content that is not a checkpoint throws
 * CheckpointCorruptError; a refused condition (HTTP 412, or 409 when the blob appeared meanwhile) throws
 * CheckpointConflictError; an aborted `signal` rejects with the SDK's `AbortError` unchanged; every other
 * storage failure is wrapped in CheckpointUnavailableError (with `status` and the SDK error as `cause`),
 * after the SDK's own retries.
 */
export class BlobCheckpointStore implements CheckpointStore {
  /** `<container>/<blob>`, as errors name it. */
  readonly location: string;
  readonly #container: ContainerClient;
  readonly #blob: BlockBlobClient;
  readonly #now: () => Date;

  constructor(options: BlobCheckpointStoreOptions) {
    this.#container = options.container;
    this.#blob = options.container.getBlockBlobClient(options.blobName);
    this.#now = options.now ?? ((): Date => new Date());
    this.location = `${options.container.containerName}/${options.blobName}`;
  }

  async read(signal?: AbortSignal): Promise<StoredCheckpoint | undefined> {
    let body: Buffer;
    let version: string | undefined;
    try {
      const response = await this.#blob.download(0, undefined, { abortSignal: signal });
      version = response.etag;
      body = await readAll(response.readableStreamBody);
    } catch (error: unknown) {
      if (statusOf(error) === 404) return undefined;
      throw this.#unavailable('read', error);
    }
    if (version === undefined) throw this.#unavailable('read', new Error('the response carried no ETag'));
    return { height: this.#parse(body), version };
  }

  async write(height: number, expectedVersion: string | undefined, signal?: AbortSignal): Promise<string> {
    assertBlockHeight(height);
    const document: CheckpointDocument = { height, updatedAt: this.#now().toISOString() };
    const content = JSON.stringify(document);
    try {
      return await this.#put(content, expectedVersion, signal);
    } catch (error: unknown) {
      // A first write into a missing container: create it once and try again.
      if (expectedVersion !== undefined || !isContainerNotFound(error)) throw this.#writeError(error, expectedVersion);
    }
    try {
      await this.#container.createIfNotExists({ abortSignal: signal });
      return await this.#put(content, expectedVersion, signal);
    } catch (error: unknown) {
      throw this.#writeError(error, expectedVersion);
    }
  }

  async #put(content: string, expectedVersion: string | undefined, signal: AbortSignal | undefined): Promise<string> {
    const response = await this.#blob.upload(content, Buffer.byteLength(content), {
      conditions: expectedVersion === undefined ? { ifNoneMatch: '*' } : { ifMatch: expectedVersion },
      blobHTTPHeaders: { blobContentType: 'application/json' },
      abortSignal: signal,
    });
    if (response.etag === undefined) throw new Error('the response carried no ETag');
    return response.etag;
  }

  #writeError(error: unknown, expectedVersion: string | undefined): Error {
    const status = statusOf(error);
    // 412: If-Match/If-None-Match refused. 409: the blob was created meanwhile (BlobAlreadyExists) or is leased.
    // 404 with a version expected: the blob this writer loaded was deleted by someone else.
    if (status === 412 || status === 409 || (status === 404 && expectedVersion !== undefined)) {
      return new CheckpointConflictError({ location: this.location, expectedVersion, cause: error });
    }
    return this.#unavailable('write', error);
  }

  #unavailable(operation: 'read' | 'write', error: unknown): Error {
    if (isAbort(error)) return error;
    return new CheckpointUnavailableError({
      location: this.location,
      operation,
      status: statusOf(error),
      cause: error,
    });
  }

  #parse(body: Buffer): number {
    let document: unknown;
    try {
      document = JSON.parse(body.toString('utf8'));
    } catch (error: unknown) {
      throw new CheckpointCorruptError({ location: this.location, reason: 'not JSON', cause: error });
    }
    const reason = shapeProblem(document);
    if (reason !== undefined) throw new CheckpointCorruptError({ location: this.location, reason });
    return (document as CheckpointDocument).height;
  }
}

/** Why `document` is not a {@link CheckpointDocument}, naming the field and the rule; `undefined` when it is one. */
function shapeProblem(document: unknown): string | undefined {
  if (typeof document !== 'object' || document === null || Array.isArray(document)) return 'must be a JSON object';
  const { height, updatedAt } = document as Record<string, unknown>;
  if (!isBlockHeight(height)) return '/height must be a non-negative safe integer';
  if (typeof updatedAt !== 'string') return '/updatedAt must be a string';
  return undefined;
}

function statusOf(error: unknown): number | undefined {
  return error instanceof RestError ? error.statusCode : undefined;
}

function isContainerNotFound(error: unknown): boolean {
  return error instanceof RestError && error.statusCode === 404 && error.code === 'ContainerNotFound';
}

function isAbort(error: unknown): error is Error {
  return error instanceof Error && error.name === 'AbortError';
}

async function readAll(stream: NodeJS.ReadableStream | undefined): Promise<Buffer> {
  if (stream === undefined) return Buffer.alloc(0);
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
  return Buffer.concat(chunks);
}
