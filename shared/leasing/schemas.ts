import type { FromSchema } from 'json-schema-to-ts';

import { ValidationError } from '../errors';
import { calendarDateProperty, compileLeasingSchema, toValidationError } from './leasing-validator';

/*
 * The leasing API's request bodies and the data it writes on the ledger, each as one JSON schema with its
 * TypeScript type derived by FromSchema, so that the validator and the type cannot drift. The schemas are
 * plain draft-07 JSON that an OpenAPI 3.1 document embeds as they are: every property has a `description`,
 * objects are closed (`additionalProperties: false`), and there is no `$ref`, `default` or `$schema`.
 */

const text = (maxLength: number, description: string, examples: readonly string[]) =>
  ({ type: 'string', minLength: 1, maxLength, description, examples }) as const;

/** Properties of a car registration, shared by {@link carRegistrationSchema} and {@link carAssetSchema}. */
const carProperties = {
  vin: {
    type: 'string',
    format: 'vin',
    description:
      'Vehicle identification number (ISO 3779): 17 upper-case letters and digits without I, O and Q, with the ' +
      'North-American check digit at position 9.',
    examples: ['1M8GDM9AXKP042788'],
  },
  make: text(100, 'Manufacturer brand.', ['Volkswagen']),
  model: text(100, 'Model name.', ['ID.4 Pro']),
  year: { type: 'integer', minimum: 1950, maximum: 2100, description: 'Model year.', examples: [2024] },
  listPrice: {
    type: 'object',
    description: 'Price of the new car, before any discount; the premium is quoted in its currency.',
    required: ['amount', 'currency'],
    additionalProperties: false,
    properties: {
      amount: {
        type: 'number',
        exclusiveMinimum: 0,
        maximum: 10_000_000,
        description: 'Amount in units of the currency (not cents).',
        examples: [45990],
      },
      currency: { type: 'string', pattern: '^[A-Z]{3}$', description: 'ISO 4217 currency code.', examples: ['EUR'] },
    },
  },
  plant: {
    type: 'object',
    description: 'The plant that assembled the car.',
    required: ['name', 'country'],
    additionalProperties: false,
    properties: {
      name: text(100, 'Name of the plant.', ['Zwickau']),
      country: {
        type: 'string',
        pattern: '^[A-Z]{2}$',
        description: 'ISO 3166-1 alpha-2 country code.',
        examples: ['DE'],
      },
    },
  },
  components: {
    type: 'array',
    maxItems: 200,
    description: 'Components with substances of concern (supply-chain tracking); may be empty.',
    items: {
      type: 'object',
      description: 'A component of the car.',
      required: ['name', 'substances'],
      additionalProperties: false,
      properties: {
        name: text(100, 'Name of the component.', ['Traction battery']),
        partNumber: text(100, "The manufacturer's part number.", ['1EA915105B']),
        substances: {
          type: 'array',
          maxItems: 100,
          description: 'Substances of concern the component contains; may be empty.',
          items: {
            type: 'object',
            description: 'A substance of concern in the component.',
            required: ['name', 'concentrationPercent'],
            additionalProperties: false,
            properties: {
              name: text(100, 'Name of the substance.', ['Cobalt']),
              casNumber: {
                type: 'string',
                format: 'cas-number',
                description: 'CAS Registry Number, with a correct check digit.',
                examples: ['7440-48-4'],
              },
              concentrationPercent: {
                type: 'number',
                minimum: 0,
                maximum: 100,
                description: 'Share of the component by weight, in percent.',
                examples: [4.5],
              },
            },
          },
        },
      },
    },
  },
} as const;

const CAR_REGISTRATION_EXAMPLE = {
  vin: '1M8GDM9AXKP042788',
  make: 'Volkswagen',
  model: 'ID.4 Pro',
  year: 2024,
  listPrice: { amount: 45990, currency: 'EUR' },
  plant: { name: 'Zwickau', country: 'DE' },
  components: [
    {
      name: 'Traction battery',
      partNumber: '1EA915105B',
      substances: [{ name: 'Cobalt', casNumber: '7440-48-4', concentrationPercent: 4.5 }],
    },
  ],
} as const;

/** The body of `POST /api/cars`: a car the leasing company registers on the ledger. */
export const carRegistrationSchema = {
  type: 'object',
  description: 'A car to register on the ledger.',
  required: ['vin', 'make', 'model', 'year', 'listPrice', 'plant', 'components'],
  additionalProperties: false,
  properties: carProperties,
  examples: [CAR_REGISTRATION_EXAMPLE],
} as const;

/** A car registration, as {@link carRegistrationSchema} describes it. */
export type CarRegistration = FromSchema<typeof carRegistrationSchema>;

/** The asset data of a car's CREATE transaction: its registration, marked as a car, schema version 1. */
export const carAssetSchema = {
  type: 'object',
  description: "A car as its CREATE transaction's asset data records it.",
  required: ['kind', 'schemaVersion', ...carRegistrationSchema.required],
  additionalProperties: false,
  properties: {
    kind: { type: 'string', const: 'car', description: 'Marks the asset as a car of this product.' },
    schemaVersion: { type: 'integer', const: 1, description: 'Version of this asset layout.' },
    ...carProperties,
  },
  examples: [{ kind: 'car', schemaVersion: 1, ...CAR_REGISTRATION_EXAMPLE }],
} as const;

/** A car's asset data on the ledger, as {@link carAssetSchema} describes it. */
export type CarAsset = FromSchema<typeof carAssetSchema>;

const driverProperty = {
  type: 'object',
  description: 'The driver who leases the car; the car is transferred to their key.',
  required: ['id', 'publicKey'],
  additionalProperties: false,
  properties: {
    id: text(64, "The leasing company's identifier of the driver.", ['D-100234']),
    publicKey: {
      type: 'string',
      pattern: '^[1-9A-HJ-NP-Za-km-z]{32,44}$',
      format: 'ed25519-public-key',
      description: "The driver's Ed25519 public key in base58 (32 bytes), the new owner in the lease TRANSFER.",
      examples: ['7q3Rx1aXaV3Lgq9B5Th4vzLZfnzrKyKWWDb1WASxm4tD'],
    },
  },
} as const;

const leaseTermsProperties = {
  startDate: calendarDateProperty('First day of the lease.', ['2025-07-01']),
  endDate: calendarDateProperty('Last day of the lease; after the start date.', ['2028-06-30']),
  yearlyMileageKm: {
    type: 'integer',
    minimum: 1000,
    maximum: 200_000,
    description: 'Kilometres a year the lease allows.',
    examples: [15000],
  },
} as const;

const LEASE_REQUEST_EXAMPLE = {
  driver: { id: 'D-100234', publicKey: '7q3Rx1aXaV3Lgq9B5Th4vzLZfnzrKyKWWDb1WASxm4tD' },
  startDate: '2025-07-01',
  endDate: '2028-06-30',
  yearlyMileageKm: 15000,
} as const;

/** The body of `POST /api/cars/{assetId}/leases`: lease a registered car to a driver. */
export const leaseRequestSchema = {
  type: 'object',
  description: 'A lease of a registered car to a driver.',
  required: ['driver', 'startDate', 'endDate', 'yearlyMileageKm'],
  additionalProperties: false,
  properties: { driver: driverProperty, ...leaseTermsProperties },
  examples: [LEASE_REQUEST_EXAMPLE],
} as const;

/** A lease request, as {@link leaseRequestSchema} describes it. */
export type LeaseRequest = FromSchema<typeof leaseRequestSchema>;

/** The metadata of a lease TRANSFER: who leases the car, and on which terms. */
export const leaseMetadataSchema = {
  type: 'object',
  description: 'The metadata of the TRANSFER that leases a car to a driver.',
  required: ['kind', 'driver', 'lease'],
  additionalProperties: false,
  properties: {
    kind: { type: 'string', const: 'lease', description: 'Marks the transaction as a lease.' },
    driver: driverProperty,
    lease: {
      type: 'object',
      description: 'The terms of the lease.',
      required: ['startDate', 'endDate', 'yearlyMileageKm'],
      additionalProperties: false,
      properties: leaseTermsProperties,
    },
  },
  examples: [
    {
      kind: 'lease',
      driver: LEASE_REQUEST_EXAMPLE.driver,
      lease: { startDate: '2025-07-01', endDate: '2028-06-30', yearlyMileageKm: 15000 },
    },
  ],
} as const;

/** A lease TRANSFER's metadata, as {@link leaseMetadataSchema} describes it. */
export type LeaseMetadata = FromSchema<typeof leaseMetadataSchema>;

const odometerKm = {
  type: 'integer',
  minimum: 0,
  description: 'Odometer reading at the return, in kilometres.',
  examples: [48120],
} as const;

/** The body of `POST /api/cars/{assetId}/returns`: the driver brings the car back; `{}` is a valid return. */
export const returnRequestSchema = {
  type: 'object',
  description: 'The return of a leased car to the leasing company.',
  additionalProperties: false,
  properties: {
    returnedOn: calendarDateProperty('Day the car came back; today (UTC) when absent.', ['2028-06-30']),
    odometerKm,
  },
  examples: [{}, { returnedOn: '2028-06-30', odometerKm: 48120 }],
} as const;

/** A return request, as {@link returnRequestSchema} describes it. */
export type ReturnRequest = FromSchema<typeof returnRequestSchema>;

/** The metadata of a return TRANSFER, which moves the car back to the leasing company. */
export const returnMetadataSchema = {
  type: 'object',
  description: 'The metadata of the TRANSFER that returns a car to the leasing company.',
  required: ['kind', 'returnedOn'],
  additionalProperties: false,
  properties: {
    kind: { type: 'string', const: 'return', description: 'Marks the transaction as a return.' },
    returnedOn: calendarDateProperty('Day the car came back.', ['2028-06-30']),
    odometerKm,
  },
  examples: [{ kind: 'return', returnedOn: '2028-06-30', odometerKm: 48120 }],
} as const;

/** A return TRANSFER's metadata, as {@link returnMetadataSchema} describes it. */
export type ReturnMetadata = FromSchema<typeof returnMetadataSchema>;

// The insurer's driver records live in their own module; this one re-exports them so that every leasing
// schema is importable from one place.
export { type DriverHistory, driverHistorySchema, parseDriverHistory, type ViolationKind } from './driver-history';

const validateCarRegistration = compileLeasingSchema<CarRegistration>(carRegistrationSchema);
const validateCarAsset = compileLeasingSchema<CarAsset>(carAssetSchema);
const validateLeaseRequest = compileLeasingSchema<LeaseRequest>(leaseRequestSchema);
const validateLeaseMetadata = compileLeasingSchema<LeaseMetadata>(leaseMetadataSchema);
const validateReturnRequest = compileLeasingSchema<ReturnRequest>(returnRequestSchema);
const validateReturnMetadata = compileLeasingSchema<ReturnMetadata>(returnMetadataSchema);

/**
 * Validates the body of `POST /api/cars`.
 *
 * @throws ValidationError naming the first offending field and its rule, e.g. `car registration
 * /listPrice/currency must match pattern "^[A-Z]{3}$"` (`field: '/listPrice/currency'`, `rule: 'pattern'`).
 */
export function parseCarRegistration(body: unknown): CarRegistration {
  if (!validateCarRegistration(body)) throw toValidationError(validateCarRegistration.errors, 'car registration');
  return body;
}

/**
 * Validates the body of `POST /api/cars/{assetId}/leases`.
 *
 * @throws ValidationError naming the first offending field and its rule; rule `after-start-date` (field
 * `/endDate`) when the lease does not end after the day it starts.
 */
export function parseLeaseRequest(body: unknown): LeaseRequest {
  if (!validateLeaseRequest(body)) throw toValidationError(validateLeaseRequest.errors, 'lease request');
  if (body.endDate <= body.startDate) {
    const message = 'lease request /endDate must be after /startDate';
    throw new ValidationError({ message, field: '/endDate', rule: 'after-start-date' });
  }
  return body;
}

/**
 * Validates the body of `POST /api/cars/{assetId}/returns`; an empty object is a valid return.
 *
 * @throws ValidationError naming the first offending field and its rule.
 */
export function parseReturnRequest(body: unknown): ReturnRequest {
  if (!validateReturnRequest(body)) throw toValidationError(validateReturnRequest.errors, 'return request');
  return body;
}

/**
 * Reads a CREATE transaction's asset data as a car of this product, for consumers of the ledger (the
 * insurer), which meet assets of any kind.
 *
 * @returns the car, or `undefined` when the data is not a version-1 car asset. Never throws.
 */
export function readCarAsset(data: unknown): CarAsset | undefined {
  return validateCarAsset(data) ? data : undefined;
}

/**
 * Reads a TRANSFER's metadata as a lease.
 *
 * @returns the lease, or `undefined` when the metadata is not a lease's, or its end is not after its start.
 * Never throws.
 */
export function readLeaseMetadata(metadata: unknown): LeaseMetadata | undefined {
  if (!validateLeaseMetadata(metadata)) return undefined;
  return metadata.lease.endDate > metadata.lease.startDate ? metadata : undefined;
}

/**
 * Reads a TRANSFER's metadata as a return.
 *
 * @returns the return, or `undefined` when the metadata is not a return's. Never throws.
 */
export function readReturnMetadata(metadata: unknown): ReturnMetadata | undefined {
  return validateReturnMetadata(metadata) ? metadata : undefined;
}
