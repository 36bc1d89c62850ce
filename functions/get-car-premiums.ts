import type {
  HttpFunctionOptions,
  HttpHandler,
  HttpRequest,
  HttpResponseInit,
  InvocationContext,
} from '@azure/functions';

import { NotFoundError } from '../shared/errors';
import { readCompanyCarRegistration } from '../shared/leasing/car-transfer';
import { createPremiumStore, type PremiumRecord } from '../shared/premium-store';
import { toHttpResponse } from './http-errors';
import { assetIdParameter } from './route-parameters';
import type { Services } from './services';

/** `GET /api/cars/{assetId}/premiums`. */
export const getCarPremiumsOptions = {
  methods: ['GET'],
  route: 'cars/{assetId}/premiums',
  authLevel: 'function',
} as const satisfies Omit<HttpFunctionOptions, 'handler'>;

/** One premium of a car's history, as the endpoint shows it. */
export type PremiumView = Omit<PremiumRecord, 'assetId' | 'relayedAt' | 'notified'>;

/**
 * A car's premium history: `{ assetId, premiums }`, one entry per lease the insurer priced, in height order,
 * each with the factors that explain it; `premiums: []` for a car not leased yet (or not priced yet: pricing
 * follows the ledger asynchronously). 404 (resource `car`) unless the asset is one of the company's cars on the
 * chain; 400 (field `assetId`) for an id that is not 64 hex characters; 503 when BigchainDB or storage fails.
 */
export function getCarPremiums(services: Pick<Services, 'bigchainDb' | 'leasingCompany' | 'premiums'>): HttpHandler {
  const premiums = createPremiumStore(services.premiums);
  return async function getCarPremiums(request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
    try {
      const assetId = assetIdParameter(request);
      const [registration, records] = await Promise.all([
        services.bigchainDb.getTransaction(assetId),
        premiums.listPremiums(assetId),
      ]);
      if (readCompanyCarRegistration(registration, services.leasingCompany.publicKey) === undefined) {
        throw new NotFoundError({ resource: 'car', id: assetId });
      }
      return { status: 200, jsonBody: { assetId, premiums: records.map(toView) } };
    } catch (error: unknown) {
      return toHttpResponse(error, context);
    }
  };
}

function toView(record: PremiumRecord): PremiumView {
  const { transactionId, height, driverId, driverPublicKey, annualPremium, status, factors, computedAt } = record;
  return { transactionId, height, driverId, driverPublicKey, annualPremium, status, factors, computedAt };
}
