import type {
  HttpFunctionOptions,
  HttpHandler,
  HttpRequest,
  HttpResponseInit,
  InvocationContext,
} from '@azure/functions';

import type { BigchainDb } from '../shared/bigchaindb';
import { carRegistrationTransaction } from '../shared/leasing/car-transactions';
import { readCompanyCarRegistration } from '../shared/leasing/car-transfer';
import { type CarAsset, parseCarRegistration, readCarAsset } from '../shared/leasing/schemas';
import { createVinReservationStore } from '../shared/vin-reservation-store';
import { toHttpResponse } from './http-errors';
import { readJsonBody } from './request-body';
import type { Services } from './services';
import { alreadyRegistered, commitReservedRegistration, reserveVin } from './vin-reservation';

/** `POST /api/cars`. */
export const registerCarOptions = {
  methods: ['POST'],
  route: 'cars',
  authLevel: 'function',
} as const satisfies Omit<HttpFunctionOptions, 'handler'>;

// A text search returns matches ranked, not filtered; more than this many assets sharing a VIN token is not a
// real case.
const VIN_SEARCH_LIMIT = 50;

/**
 * Registers a car: a CREATE of the car's data signed with the leasing company's key, committed before the
 * answer. 201 with the asset id; 409 when the company already registered a car with that VIN, or while another
 * registration of it is in flight (the VIN's row in Table `vinreservations`, see ./vin-reservation).
 */
export function registerCar(
  services: Pick<Services, 'bigchainDb' | 'leasingCompany' | 'vinReservations' | 'now'>,
): HttpHandler {
  const reservationServices = {
    bigchainDb: services.bigchainDb,
    reservations: createVinReservationStore(services.vinReservations),
  };
  return async function registerCar(request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
    try {
      const registration = parseCarRegistration(await readJsonBody(request));
      const { vin } = registration;
      const existing = await findRegisteredVin(services.bigchainDb, vin, services.leasingCompany.publicKey);
      if (existing !== undefined) throw alreadyRegistered(vin, existing);
      const car: CarAsset = { kind: 'car', schemaVersion: 1, ...registration };
      const transaction = carRegistrationTransaction(car, services.leasingCompany);
      const now = services.now();
      const reservation = { vin, transactionId: transaction.id, reservedAt: now };
      await reserveVin(reservationServices, reservation, now);
      await commitReservedRegistration(reservationServices, transaction, reservation, (error) => {
        context.warn(`VIN ${vin} stays reserved for ${transaction.id} until it goes stale: ${error.message}`);
      });
      context.log(`car ${vin} registered as ${transaction.id}`);
      return {
        status: 201,
        headers: { Location: `/api/cars/${transaction.id}` },
        jsonBody: { assetId: transaction.id, vin: registration.vin },
      };
    } catch (error: unknown) {
      return toHttpResponse(error, context);
    }
  };
}

/** The asset id of the company's car with this VIN, if the chain has one. */
async function findRegisteredVin(
  bigchainDb: Pick<BigchainDb, 'searchAssets' | 'getTransaction'>,
  vin: string,
  companyPublicKey: string,
): Promise<string | undefined> {
  const matches = (await bigchainDb.searchAssets(vin, VIN_SEARCH_LIMIT)).filter(
    ({ data }) => readCarAsset(data)?.vin === vin,
  );
  for (const { id } of matches) {
    if (readCompanyCarRegistration(await bigchainDb.getTransaction(id), companyPublicKey) !== undefined) return id;
  }
  return undefined;
}
