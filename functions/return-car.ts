import type {
  HttpFunctionOptions,
  HttpHandler,
  HttpRequest,
  HttpResponseInit,
  InvocationContext,
} from '@azure/functions';

import { ConflictError } from '../shared/errors';
import { readCarFromChain } from '../shared/leasing/car-ledger';
import { returnTransaction } from '../shared/leasing/car-transactions';
import { parseReturnRequest, type ReturnMetadata } from '../shared/leasing/schemas';
import { commitTransfer } from './commit-transfer';
import { toHttpResponse } from './http-errors';
import { readJsonBody } from './request-body';
import { assetIdParameter } from './route-parameters';
import type { Services } from './services';

/** `POST /api/cars/{assetId}/returns`. */
export const returnCarOptions = {
  methods: ['POST'],
  route: 'cars/{assetId}/returns',
  authLevel: 'function',
} as const satisfies Omit<HttpFunctionOptions, 'handler'>;

/**
 * Ends a car's lease: the company spends the lease's threshold output with its own key, back to itself. The body
 * is optional (`returnedOn` defaults to today, UTC). 201 with the transaction id; 404 for an unknown car; 409 when
 * the car is not leased.
 */
export function returnCar(services: Pick<Services, 'bigchainDb' | 'leasingCompany' | 'now'>): HttpHandler {
  return async function returnCar(request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
    try {
      const assetId = assetIdParameter(request);
      const body = parseReturnRequest(await readJsonBody(request, { emptyAs: {} }));
      const car = await readCarFromChain(services.bigchainDb, assetId, services.leasingCompany.publicKey);
      const conflict = { code: 'CAR_NOT_LEASED', message: `car ${assetId} is not leased` } as const;
      if (car.status !== 'leased') throw new ConflictError(conflict);
      const metadata: ReturnMetadata = {
        kind: 'return',
        returnedOn: body.returnedOn ?? services.now().toISOString().slice(0, 10),
        ...(body.odometerKm === undefined ? {} : { odometerKm: body.odometerKm }),
      };
      const transaction = returnTransaction(car.latest, metadata, services.leasingCompany);
      await commitTransfer(services.bigchainDb, transaction, conflict);
      context.log(`car ${assetId} returned in ${transaction.id}`);
      return {
        status: 201,
        headers: { Location: `/api/cars/${assetId}` },
        jsonBody: { assetId, transactionId: transaction.id, returned: metadata },
      };
    } catch (error: unknown) {
      return toHttpResponse(error, context);
    }
  };
}
