import {
  carRegistrationSchema,
  driverHistorySchema,
  leaseRequestSchema,
  returnRequestSchema,
} from '../shared/leasing/schemas';
import { ledgerEventSchema } from '../shared/ledger-event';
import { transactionSchemas } from '../shared/transaction/transaction-schema';
import { webhookBodySchema } from './ledger-events-webhook';
import { SIGNATURE_HEADER } from './webhook-signature';

// The OpenAPI 3.1 description of the HTTP API, built from the very schema objects that validate requests, so the
// document cannot drift from the checks. OpenAPI 3.1 schemas are JSON Schema; BigchainDB's draft-04 transaction
// schema keeps its meaning there once its `definitions` move to `components.schemas`.

type Schema = Record<string, unknown>;

const errorSchema: Schema = {
  type: 'object',
  required: ['error'],
  properties: {
    error: {
      type: 'object',
      required: ['code', 'message'],
      properties: {
        code: { type: 'string', description: 'Stable error code, e.g. `VALIDATION_FAILED`, `CAR_ALREADY_LEASED`.' },
        message: { type: 'string', description: 'Names the field and the rule, or what is in the way.' },
        field: {
          type: 'string',
          description: 'JSON pointer into the body (`/vin`), or a route or query parameter name.',
        },
        rule: {
          type: 'string',
          description: 'The rule that failed: a JSON Schema keyword or format, or a named check.',
        },
        correlationId: {
          type: 'string',
          description: 'Of a 500: the invocation id under which the detail was logged.',
        },
      },
    },
  },
};

const json = (schema: Schema): Schema => ({ content: { 'application/json': { schema } } });
const errorResponse = (description: string): Schema => ({
  description,
  ...json({ $ref: '#/components/schemas/Error' }),
});
const assetId = {
  name: 'assetId',
  in: 'path',
  required: true,
  schema: { type: 'string', pattern: '^[0-9a-f]{64}$' },
  description: "The car's CREATE transaction id.",
};
const publicKey = {
  name: 'publicKey',
  in: 'path',
  required: true,
  schema: { type: 'string', pattern: '^[1-9A-HJ-NP-Za-km-z]{32,44}$' },
  description: "The driver's base58 Ed25519 public key.",
};
const common = {
  '400': errorResponse('A field breaks a rule; `field` and `rule` say which.'),
  '401': errorResponse('Missing or wrong function key.'),
  '503': errorResponse('BigchainDB or storage is unavailable; retry after `Retry-After` seconds.'),
};
const jsonBody = (ref: string, required = true): Schema => ({
  required,
  ...json({ $ref: `#/components/schemas/${ref}` }),
});
const ok = (description: string, schema: Schema = { type: 'object' }): Schema => ({ description, ...json(schema) });

/** Moves a draft-04 schema's `definitions` to `components.schemas` under `prefix`, rewriting its `$ref`s. */
function hoistDefinitions(schema: object, prefix: string, components: Record<string, unknown>): Schema {
  const rewrite = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(rewrite);
    if (value === null || typeof value !== 'object') return value;
    const entries = Object.entries(value).filter(([key]) => key !== '$schema' && key !== 'definitions' && key !== 'id');
    return Object.fromEntries(
      entries.map(([key, item]) => [
        key,
        key === '$ref' && typeof item === 'string'
          ? item.replace('#/definitions/', `#/components/schemas/${prefix}`)
          : rewrite(item),
      ]),
    );
  };
  const definitions = (schema as { definitions?: Record<string, unknown> }).definitions ?? {};
  for (const [name, definition] of Object.entries(definitions)) components[`${prefix}${name}`] = rewrite(definition);
  return rewrite(schema) as Schema;
}

/** The OpenAPI 3.1 document of the app's HTTP API, served at `GET /api/openapi.json`. */
export function buildOpenApiDocument(): Schema {
  const schemas: Record<string, unknown> = {};
  const transaction = hoistDefinitions(transactionSchemas.common, 'Transaction_', schemas);
  Object.assign(schemas, {
    Error: errorSchema,
    Transaction: {
      ...transaction,
      description: 'A signed BigchainDB v2.0 transaction (CREATE or TRANSFER), checked locally before it is forwarded.',
    },
    CarRegistration: carRegistrationSchema,
    LeaseRequest: leaseRequestSchema,
    ReturnRequest: returnRequestSchema,
    DriverHistory: driverHistorySchema,
    LedgerEvents: webhookBodySchema,
    LedgerEventMessage: ledgerEventSchema,
  });
  return {
    openapi: '3.1.0',
    info: {
      title: 'BigchainDB car leasing and insurance',
      version: '1.0.0',
      description:
        'Register and lease cars on BigchainDB; the insurer reprices each lease. Every operation but `health` and `openapi.json` needs a function key.',
    },
    servers: [{ url: '/api' }],
    security: [{ functionKeyHeader: [] }, { functionKeyQuery: [] }],
    paths: {
      '/transactions': {
        post: {
          operationId: 'submitTransaction',
          summary: 'Submit a client-signed transaction',
          parameters: [
            {
              name: 'mode',
              in: 'query',
              schema: { type: 'string', enum: ['async', 'sync', 'commit'], default: 'async' },
            },
          ],
          requestBody: jsonBody('Transaction'),
          responses: {
            '200': ok('Already committed: the committed transaction.'),
            '202': ok('Accepted by BigchainDB.'),
            ...common,
            '413': errorResponse('Body over 1 MiB.'),
          },
        },
      },
      '/cars': {
        post: {
          operationId: 'registerCar',
          summary: 'Register a car (a CREATE signed by the leasing company)',
          requestBody: jsonBody('CarRegistration'),
          responses: {
            '201': ok('Registered; `assetId` names the car.'),
            ...common,
            '409': errorResponse(
              'A car with this VIN is registered (`CAR_ALREADY_REGISTERED`), or another registration of it has not ' +
                'committed yet (`CAR_REGISTRATION_IN_PROGRESS`: try again later).',
            ),
          },
        },
      },
      '/cars/{assetId}': {
        get: {
          operationId: 'getCar',
          summary: 'A car, its ownership and lease history, and its current policy',
          parameters: [assetId],
          responses: { '200': ok('The car.'), ...common, '404': errorResponse('No such car.') },
        },
      },
      '/cars/{assetId}/leases': {
        post: {
          operationId: 'leaseCar',
          summary: 'Lease a car to a driver (a TRANSFER to a 1-of-2 threshold of driver and company)',
          parameters: [assetId],
          requestBody: jsonBody('LeaseRequest'),
          responses: {
            '201': ok('Leased.'),
            ...common,
            '404': errorResponse('No such car.'),
            '409': errorResponse('The car is leased already.'),
          },
        },
      },
      '/cars/{assetId}/returns': {
        post: {
          operationId: 'returnCar',
          summary: 'End the lease (the company spends the threshold output)',
          parameters: [assetId],
          requestBody: jsonBody('ReturnRequest', false),
          responses: {
            '201': ok('Returned.'),
            ...common,
            '404': errorResponse('No such car.'),
            '409': errorResponse('The car is not leased.'),
          },
        },
      },
      '/cars/{assetId}/premiums': {
        get: {
          operationId: 'getCarPremiums',
          summary: "The car's premium history, in height order, with the factors behind each",
          parameters: [assetId],
          responses: { '200': ok('Premiums.'), ...common, '404': errorResponse('No such car.') },
        },
      },
      '/drivers/{publicKey}': {
        put: {
          operationId: 'putDriver',
          summary: "Record a driver's history",
          parameters: [publicKey],
          requestBody: jsonBody('DriverHistory'),
          responses: { '200': ok('Updated.'), '201': ok('Created.'), ...common },
        },
        get: {
          operationId: 'getDriver',
          summary: "A driver's history",
          parameters: [publicKey],
          responses: { '200': ok('The driver.'), ...common, '404': errorResponse('No such driver.') },
        },
      },
      '/ledger-events': {
        post: {
          operationId: 'ledgerEventsWebhook',
          summary: 'Webhook ingress for BigchainDB events from any source',
          description: `Signed with HMAC-SHA256 over \`<t>.<body>\` in the \`${SIGNATURE_HEADER}\` header as \`t=<unix seconds>,v1=<hex>\`; at most 5 minutes of clock skew.`,
          parameters: [
            {
              name: SIGNATURE_HEADER,
              in: 'header',
              required: true,
              schema: { type: 'string', pattern: '^t=\\d+,v1=[0-9a-f]{64}' },
            },
          ],
          requestBody: jsonBody('LedgerEvents'),
          responses: {
            '202': ok('Every event is on the queue.'),
            ...common,
            '401': errorResponse('Bad or stale signature, or a missing function key.'),
          },
        },
      },
      '/health': {
        get: {
          operationId: 'health',
          summary: 'BigchainDB and storage reachable; relay checkpoint and lag',
          security: [],
          responses: { '200': ok('Healthy.'), '503': ok('A dependency is down.') },
        },
      },
      '/openapi.json': {
        get: {
          operationId: 'openApiDocument',
          summary: 'This document',
          security: [],
          responses: { '200': ok('OpenAPI 3.1.') },
        },
      },
    },
    components: {
      schemas,
      securitySchemes: {
        functionKeyHeader: { type: 'apiKey', in: 'header', name: 'x-functions-key' },
        functionKeyQuery: { type: 'apiKey', in: 'query', name: 'code' },
      },
    },
  };
}
