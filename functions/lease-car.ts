import type {
  HttpFunctionOptions,
  HttpHandler,
  HttpRequest,
  HttpResponseInit,
  InvocationContext,
} from '@azure/functions';

import { ConflictError } from '../shared/errors';
import { readCarFromChain } from '../shared/leasing/car-ledger';
import { leaseTransaction } from '../shared/leasing/car-transactions';
import { type LeaseMetadata, parseLeaseRequest } from '../shared/leasing/schemas';
import { commitTransfer } from './commit-transfer';
import { toHttpResponse } from './http-errors';
import { readJsonBody } from './request-body';
import { assetIdParameter } from './route-parameters';
import type { Services } from './services';

/** `POST /api/cars/{assetId}/leases`. */
export const leaseCarOptions = {
  methods: ['POST'],
  route: 'cars/{assetId}/leases',
  authLevel: 'function',
} as const satisfies Omit<HttpFunctionOptions, 'handler'>;

/**
 * Leases a car to a driver: a TRANSFER from the company to a 1-of-2 threshold of the lessee and the company,
 * with the lease terms and the driver in its metadata, committed before the answer. 201 with the transaction
 * id; 404 for an unknown car; 409 when it is leased already (or leased by a concurrent request).
 */
export function leaseCar(services: Pick<Services, 'bigchainDb' | 'leasingCompany'>): HttpHandler {
  return async function leaseCar(request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
    try {
      const assetId = assetIdParameter(request);
      const lease = parseLeaseRequest(await readJsonBody(request));
      const car = await readCarFromChain(services.bigchainDb, assetId, services.leasingCompany.publicKey);
      const conflict = { code: 'CAR_ALREADY_LEASED', message: `car ${assetId} is already leased` } as const;
      if (car.status !== 'available') throw new ConflictError(conflict);
      const metadata: LeaseMetadata = {
        kind: 'lease',
        driver: lease.driver,
        lease: { startDate: lease.startDate, endDate: lease.endDate, yearlyMileageKm: lease.yearlyMileageKm },
      };
      const transaction = leaseTransaction(car.latest, metadata, services.leasingCompany);
      await commitTransfer(services.bigchainDb, transaction, conflict);
      context.log(`car ${assetId} leased to driver ${lease.driver.id} in ${transaction.id}`);
      return {
        status: 201,
        headers: { Location: `/api/cars/${assetId}` },
        jsonBody: { assetId, transactionId: transaction.id, driver: lease.driver, lease: metadata.lease },
      };
    } catch (error: unknown) {
      return toHttpResponse(error, context);
    }
  };
}
