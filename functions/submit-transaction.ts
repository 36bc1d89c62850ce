import type {
  HttpFunctionOptions,
  HttpHandler,
  HttpRequest,
  HttpResponseInit,
  InvocationContext,
} from '@azure/functions';

import { InvalidTransactionError, TransactionRejectedError, ValidationError } from '../shared/errors';
import { type JsonValue, parseJson } from '../shared/transaction/json-value';
import { areFulfillmentsValid, checkTransaction } from '../shared/transaction/transaction';
import { toHttpResponse } from './http-errors';
import { readJsonText } from './request-body';
import { enumQueryParameter } from './route-parameters';
import type { Services } from './services';

/** `POST /api/transactions?mode=commit|sync|async`. */
export const submitTransactionOptions = {
  methods: ['POST'],
  route: 'transactions',
  authLevel: 'function',
} as const satisfies Omit<HttpFunctionOptions, 'handler'>;

const MODES = ['async', 'sync', 'commit'] as const;

/**
 * Takes a transaction signed by the client, checks it as a BigchainDB node would without the ledger (schema,
 * id, amounts, signatures; shared/transaction, the dev node's own code) and forwards it. 202 with the id;
 * 200 with the committed transaction when it is already on the chain, so clients can retry safely; 400 with
 * the node's message when the local checks or the node reject it; 503 with `Retry-After` when BigchainDB fails.
 */
export function submitTransaction(services: Pick<Services, 'bigchainDb'>): HttpHandler {
  return async function submitTransaction(request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
    try {
      const mode = enumQueryParameter(request, 'mode', MODES, 'async');
      const transaction = checkTransaction(parseTransactionJson(await readJsonText(request)));
      if (!areFulfillmentsValid(transaction)) {
        throw new InvalidTransactionError({ kind: 'InvalidSignature', detail: 'Transaction signature is invalid.' });
      }
      try {
        await services.bigchainDb.postTransaction(transaction.body, mode);
      } catch (error: unknown) {
        const committed =
          error instanceof TransactionRejectedError
            ? await services.bigchainDb.getTransaction(transaction.id)
            : undefined;
        if (committed === undefined) throw error;
        return { status: 200, jsonBody: committed };
      }
      context.log(`transaction ${transaction.id} (${transaction.operation}) submitted, mode ${mode}`);
      return {
        status: 202,
        jsonBody: { id: transaction.id, operation: transaction.operation, assetId: transaction.assetId, mode },
      };
    } catch (error: unknown) {
      return toHttpResponse(error, context);
    }
  };
}

// The shared lossless parser keeps every number's text, which the id hash depends on.
function parseTransactionJson(text: string): JsonValue {
  try {
    return parseJson(text);
  } catch {
    throw new ValidationError({ message: 'request body must be JSON', field: '', rule: 'json' });
  }
}
