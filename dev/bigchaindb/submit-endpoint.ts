import { InvalidTransactionError } from '../../shared/errors';
import { type JsonValue, parseJson, stringifyJson } from '../../shared/transaction/json-value';
import { validateAgainstLedger } from '../../shared/transaction/ledger-rules';
import { checkTransaction } from '../../shared/transaction/transaction';
import type { BlockProducer } from './block-producer';
import { jsonifyBody, makeError, messageError, type NodeResponse } from './http-responses';
import type { Ledger } from './ledger';
import { optionalArgument, type SubmissionMode, validMode } from './query-arguments';

/** What the submission endpoint needs of the node. */
export interface SubmitContext {
  readonly ledger: Ledger;
  readonly producer: BlockProducer;
  /** Told of failures that are the node's own (a block that could not be written). */
  readonly onInternalError: (error: Error) => void;
}

const UNREADABLE_BODY = 'The browser (or proxy) sent a request that this server could not understand.';
const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * `POST /api/v1/transactions?mode=` (spec §2.3, §3): the node's pipeline in its order, then the
 * 202 echo, after the block for `commit`.
 */
export async function postTransaction(
  context: SubmitContext,
  query: URLSearchParams,
  body: Buffer,
): Promise<NodeResponse> {
  const mode = optionalArgument(query, 'mode', validMode) ?? 'async';
  let document: JsonValue;
  try {
    document = parseJson(utf8.decode(body));
  } catch {
    return messageError(400, UNREADABLE_BODY);
  }
  try {
    const transaction = checkTransaction(document);
    validateAgainstLedger(transaction, context.ledger);
    if (context.producer.isPending(transaction.id)) return alreadyInCache(mode);
    const outcome = context.producer.submit({ transaction, json: stringifyJson(document) });
    const echo = jsonifyBody(document, 202);
    if (mode !== 'commit') {
      outcome.catch(context.onInternalError);
      return echo;
    }
    const result = await outcome;
    return result.status === 'committed' ? echo : makeError(500, 'Transaction validation failed');
  } catch (error) {
    if (error instanceof InvalidTransactionError) return makeError(400, error.message);
    throw error;
  }
}

// Tendermint refuses bytes it already holds; BigchainDB passes that on as a 400 (spec §3.4).
function alreadyInCache(mode: SubmissionMode): NodeResponse {
  const prefix = mode === 'commit' ? 'Internal error - Error on broadcastTxCommit: ' : 'Internal error - ';
  return makeError(400, `${prefix}Tx already exists in cache`);
}
