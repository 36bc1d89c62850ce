import type {
  HttpFunctionOptions,
  HttpHandler,
  HttpRequest,
  HttpResponseInit,
  InvocationContext,
} from '@azure/functions';

import { createDriverStore } from '../shared/driver-store';
import { parseDriverHistory } from '../shared/leasing/driver-history';
import { toHttpResponse } from './http-errors';
import { readJsonBody } from './request-body';
import { driverPublicKeyParameter } from './route-parameters';
import type { Services } from './services';

/** `PUT /api/drivers/{publicKey}`. */
export const putDriverOptions = {
  methods: ['PUT'],
  route: 'drivers/{publicKey}',
  authLevel: 'function',
} as const satisfies Omit<HttpFunctionOptions, 'handler'>;

/** A driver history is a few dated lists of at most 100 items each: far below the app's 1 MiB default. */
const MAX_DRIVER_BODY_BYTES = 64 * 1024;

/**
 * Stores the insurer's history of a driver (the whole record, replacing any earlier one): 201 with the stored
 * record when the driver is new, 200 when it replaced one. The next lease of the driver is priced with it;
 * premiums already stored are not recomputed.
 *
 * Answers 400 naming the field and rule (`publicKey` for the route key, a JSON pointer into the body otherwise),
 * 413 over 64 KiB, 415 for a body that is not JSON, 503 when storage fails.
 */
export function putDriver(services: Pick<Services, 'drivers' | 'now'>): HttpHandler {
  const drivers = createDriverStore(services.drivers);
  return async function putDriver(request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
    try {
      const publicKey = driverPublicKeyParameter(request);
      const now = services.now();
      const history = parseDriverHistory(await readJsonBody(request, { maxBytes: MAX_DRIVER_BODY_BYTES }), now);
      const { created, record } = await drivers.putDriver(publicKey, history, now);
      context.log(`driver ${publicKey} history ${created ? 'created' : 'replaced'}`);
      return { status: created ? 201 : 200, jsonBody: record };
    } catch (error: unknown) {
      return toHttpResponse(error, context);
    }
  };
}
