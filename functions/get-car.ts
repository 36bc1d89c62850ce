import type {
  HttpFunctionOptions,
  HttpHandler,
  HttpRequest,
  HttpResponseInit,
  InvocationContext,
} from '@azure/functions';

import { readCarFromChain } from '../shared/leasing/car-ledger';
import { createPolicyStore } from '../shared/policy-store';
import { toHttpResponse } from './http-errors';
import { assetIdParameter } from './route-parameters';
import type { Services } from './services';

/** `GET /api/cars/{assetId}`. */
export const getCarOptions = {
  methods: ['GET'],
  route: 'cars/{assetId}',
  authLevel: 'function',
} as const satisfies Omit<HttpFunctionOptions, 'handler'>;

/**
 * A car as the chain records it (its data, status, lessee and every transaction in height order) with the
 * insurer's current policy and premium for it (`policy: null` until the first lease is priced).
 */
export function getCar(services: Pick<Services, 'bigchainDb' | 'leasingCompany' | 'policies'>): HttpHandler {
  const policies = createPolicyStore(services.policies);
  return async function getCar(request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
    try {
      const assetId = assetIdParameter(request);
      const [car, policy] = await Promise.all([
        readCarFromChain(services.bigchainDb, assetId, services.leasingCompany.publicKey),
        policies.getPolicy(assetId),
      ]);
      const { latest: _latest, ...view } = car;
      return { status: 200, jsonBody: { ...view, policy: policy ?? null } };
    } catch (error: unknown) {
      return toHttpResponse(error, context);
    }
  };
}
