import type {
  HttpFunctionOptions,
  HttpHandler,
  HttpRequest,
  HttpResponseInit,
  InvocationContext,
} from '@azure/functions';

import { createDriverStore } from '../shared/driver-store';
import { NotFoundError } from '../shared/errors';
import { toHttpResponse } from './http-errors';
import { driverPublicKeyParameter } from './route-parameters';
import type { Services } from './services';

/** `GET /api/drivers/{publicKey}`. */
export const getDriverOptions = {
  methods: ['GET'],
  route: 'drivers/{publicKey}',
  authLevel: 'function',
} as const satisfies Omit<HttpFunctionOptions, 'handler'>;

/**
 * The insurer's record of a driver: `{ publicKey, history, updatedAt }`. 404 (resource `driver`) when it has
 * none; 400 (field `publicKey`) for a key that is not one.
 */
export function getDriver(services: Pick<Services, 'drivers'>): HttpHandler {
  const drivers = createDriverStore(services.drivers);
  return async function getDriver(request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
    try {
      const publicKey = driverPublicKeyParameter(request);
      const record = await drivers.getDriver(publicKey);
      if (record === undefined) throw new NotFoundError({ resource: 'driver', id: publicKey });
      return { status: 200, jsonBody: record };
    } catch (error: unknown) {
      return toHttpResponse(error, context);
    }
  };
}
