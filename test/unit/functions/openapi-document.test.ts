import { getCarOptions } from '../../../functions/get-car';
import { getCarPremiumsOptions } from '../../../functions/get-car-premiums';
import { getDriverOptions } from '../../../functions/get-driver';
import { healthOptions } from '../../../functions/health';
import { leaseCarOptions } from '../../../functions/lease-car';
import { ledgerEventsWebhookOptions, webhookBodySchema } from '../../../functions/ledger-events-webhook';
import { openApiOptions } from '../../../functions/openapi';
import { buildOpenApiDocument } from '../../../functions/openapi-document';
import { putDriverOptions } from '../../../functions/put-driver';
import { registerCarOptions } from '../../../functions/register-car';
import { returnCarOptions } from '../../../functions/return-car';
import { submitTransactionOptions } from '../../../functions/submit-transaction';
import { carRegistrationSchema, driverHistorySchema, leaseRequestSchema } from '../../../shared/leasing/schemas';

const registrations = [
  getCarOptions,
  getCarPremiumsOptions,
  getDriverOptions,
  healthOptions,
  leaseCarOptions,
  ledgerEventsWebhookOptions,
  openApiOptions,
  putDriverOptions,
  registerCarOptions,
  returnCarOptions,
  submitTransactionOptions,
];

type Operation = {
  security?: unknown[];
  requestBody?: { content: { 'application/json': { schema: { $ref: string } } } };
};
const document = buildOpenApiDocument() as {
  openapi: string;
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, unknown> };
};

const operationsOfRegistrations = registrations.flatMap(({ route, methods, authLevel }) =>
  methods.map((method) => ({ key: `${method.toLowerCase()} /${route}`, anonymous: authLevel === 'anonymous' })),
);
const operationsOfDocument = Object.entries(document.paths).flatMap(([path, operations]) =>
  Object.entries(operations).map(([method, operation]) => ({
    key: `${method} ${path}`,
    anonymous: Array.isArray(operation.security) && operation.security.length === 0,
  })),
);

describe('the OpenAPI document', () => {
  it('is OpenAPI 3.1 and describes exactly the HTTP functions the app registers, with their auth levels', () => {
    expect(document.openapi).toBe('3.1.0');
    const byKey = (a: { key: string }, b: { key: string }): number => a.key.localeCompare(b.key);
    expect([...operationsOfDocument].sort(byKey)).toEqual([...operationsOfRegistrations].sort(byKey));
  });

  it('embeds the very schema objects that validate the requests', () => {
    expect(document.components.schemas['CarRegistration']).toBe(carRegistrationSchema);
    expect(document.components.schemas['LeaseRequest']).toBe(leaseRequestSchema);
    expect(document.components.schemas['DriverHistory']).toBe(driverHistorySchema);
    expect(document.components.schemas['LedgerEvents']).toBe(webhookBodySchema);
  });

  it('resolves every $ref to a component', () => {
    const references = JSON.stringify(document).match(/"\$ref":"[^"]+"/g) ?? [];
    expect(references.length).toBeGreaterThan(10);
    for (const reference of references) {
      const name = reference.slice('"$ref":"#/components/schemas/'.length, -1);
      expect(reference).toMatch(/^"\$ref":"#\/components\/schemas\//);
      expect(document.components.schemas).toHaveProperty([name]);
    }
  });

  it('describes the transaction body from the v2.0 schema with its definitions hoisted', () => {
    const transaction = document.components.schemas['Transaction'] as {
      required: string[];
      properties: Record<string, unknown>;
    };
    expect(transaction.required).toEqual(
      expect.arrayContaining(['id', 'inputs', 'outputs', 'operation', 'metadata', 'asset', 'version']),
    );
    expect(JSON.stringify(transaction)).not.toContain('#/definitions/');
  });
});
