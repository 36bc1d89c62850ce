import { type JsonObject, type JsonValue, parseJson } from '../../shared/transaction/json-value';
import { jsonifyBody, makeError, type NodeResponse, resourceBody } from './http-responses';
import type { Ledger, StoredTransaction } from './ledger';
import {
  asString,
  optionalArgument,
  pythonInt,
  rejectUnknownArguments,
  requiredArgument,
  validBoolean,
  validEd25519Key,
  validOperation,
  validTransactionId,
} from './query-arguments';
import { nodeRepresentation } from './transaction-representation';

/** What the read endpoints need of the node. */
export interface ReadContext {
  readonly ledger: Ledger;
  /** The Event Stream URL the node advertises. */
  readonly streamUrl: string;
  /** The node's validator key, base64. */
  readonly validatorPublicKey: string;
}

const VERSION = '2.2.2';
const DOCS = `https://docs.bigchaindb.com/projects/server/en/v${VERSION}/`;
const NOT_FOUND = makeError(404, 'Not found');

function apiIndex(prefix: string, streamUrl: string): JsonObject {
  return {
    assets: `${prefix}assets/`,
    blocks: `${prefix}blocks/`,
    docs: `${DOCS}http-client-server-api.html`,
    metadata: `${prefix}metadata/`,
    outputs: `${prefix}outputs/`,
    streams: streamUrl,
    transactions: `${prefix}transactions/`,
    validators: `${prefix}validators`,
  };
}

/** `GET /` (spec §2.1). */
export function rootInfo(context: ReadContext): NodeResponse {
  return jsonifyBody({
    api: { v1: apiIndex('/api/v1/', context.streamUrl) },
    docs: DOCS,
    software: 'BigchainDB',
    version: VERSION,
  });
}

/** `GET /api/v1/` (spec §2.2). */
export function apiV1Info(context: ReadContext): NodeResponse {
  return jsonifyBody(apiIndex('/', context.streamUrl));
}

function representation(ledger: Ledger, stored: StoredTransaction): JsonObject {
  return nodeRepresentation(parseJson(ledger.jsonOf(stored)) as JsonObject);
}

/** `GET /api/v1/transactions/{id}` (spec §2.4). */
export function getTransaction(context: ReadContext, id: string): NodeResponse {
  const stored = context.ledger.getStored(id);
  return stored ? resourceBody(representation(context.ledger, stored)) : NOT_FOUND;
}

/** `GET /api/v1/transactions?asset_id=&operation=&last_tx=` (spec §2.5). */
export function listTransactions(context: ReadContext, query: URLSearchParams): NodeResponse {
  const operation = optionalArgument(query, 'operation', validOperation);
  const assetId = requiredArgument(query, 'asset_id', validTransactionId);
  const lastOnly = optionalArgument(query, 'last_tx', validBoolean) ?? false;
  const matches = context.ledger.transactionsOfAsset(assetId, operation);
  const selected = lastOnly ? matches.slice(-1) : matches;
  return resourceBody(selected.map((stored) => representation(context.ledger, stored)));
}

/** `GET /api/v1/outputs?public_key=&spent=` (spec §2.6). */
export function listOutputs(context: ReadContext, query: URLSearchParams): NodeResponse {
  const publicKey = requiredArgument(query, 'public_key', validEd25519Key);
  const spent = optionalArgument(query, 'spent', validBoolean);
  rejectUnknownArguments(query, ['public_key', 'spent']);
  const outputs = context.ledger
    .outputsOf(publicKey)
    .filter((output) => spent === undefined || output.spent === spent)
    .map(({ transactionId, outputIndex }) => ({ transaction_id: transactionId, output_index: outputIndex }));
  return resourceBody(outputs);
}

/** `GET /api/v1/assets?search=&limit=` and `GET /api/v1/metadata?search=&limit=` (spec §2.7). */
export function searchText(
  context: ReadContext,
  query: URLSearchParams,
  collection: 'assets' | 'metadata',
): NodeResponse {
  const search = requiredArgument(query, 'search', asString);
  const limit = optionalArgument(query, 'limit', pythonInt) ?? 0;
  if (!search) return makeError(400, 'text_search cannot be empty');
  const { ledger } = context;
  const ids = collection === 'assets' ? ledger.searchAssets(search, limit) : ledger.searchMetadata(search, limit);
  const results = ids.map((id): JsonValue => {
    const body = parseJson(ledger.jsonOf(ledger.getStored(id) as StoredTransaction)) as JsonObject;
    return collection === 'assets'
      ? { data: (body['asset'] as JsonObject)['data'] ?? null, id }
      : { id, metadata: body['metadata'] ?? null };
  });
  return resourceBody(results);
}

/** `GET /api/v1/blocks/{height}` (spec §2.8). */
export function getBlock(context: ReadContext, height: number): NodeResponse {
  const ids = context.ledger.getBlock(height);
  if (!ids) return NOT_FOUND;
  const transactions = ids.map((id) =>
    representation(context.ledger, context.ledger.getStored(id) as StoredTransaction),
  );
  return resourceBody({ height, transactions });
}

/** `GET /api/v1/blocks?transaction_id=` (spec §2.9). */
export function listBlocks(context: ReadContext, query: URLSearchParams): NodeResponse {
  const id = requiredArgument(query, 'transaction_id', asString);
  rejectUnknownArguments(query, ['transaction_id']);
  const stored = context.ledger.getStored(id);
  return resourceBody(stored ? [stored.height] : []);
}

/** `GET /api/v1/validators` (spec §2.10). */
export function listValidators(context: ReadContext): NodeResponse {
  return resourceBody([
    { public_key: { type: 'ed25519-base64', value: context.validatorPublicKey }, voting_power: 10 },
  ]);
}
