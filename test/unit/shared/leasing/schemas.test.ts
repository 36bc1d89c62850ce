import { compileLeasingSchema } from '../../../../shared/leasing/leasing-validator';
import {
  type CarAsset,
  carAssetSchema,
  type CarRegistration,
  carRegistrationSchema,
  driverHistorySchema,
  type LeaseMetadata,
  leaseMetadataSchema,
  type LeaseRequest,
  leaseRequestSchema,
  parseCarRegistration,
  parseLeaseRequest,
  parseReturnRequest,
  readCarAsset,
  readLeaseMetadata,
  readReturnMetadata,
  type ReturnMetadata,
  returnMetadataSchema,
  returnRequestSchema,
} from '../../../../shared/leasing/schemas';
import { thrown } from '../../../helpers/thrown';
import { failure, validationFailure } from '../../../helpers/validation-failure';

const DRIVER_KEY = 'FCGFUwvXqDTVJaZ123REpW72vtbnhNva2FAs1USwo6Bk';

const REGISTRATION: CarRegistration = {
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
      substances: [
        { name: 'Cobalt', casNumber: '7440-48-4', concentrationPercent: 4.5 },
        { name: 'Lead', casNumber: '7439-92-1', concentrationPercent: 0.1 },
      ],
    },
  ],
};
const ASSET: CarAsset = { kind: 'car', schemaVersion: 1, ...REGISTRATION };
const LEASE: LeaseRequest = {
  driver: { id: 'D-100234', publicKey: DRIVER_KEY },
  startDate: '2025-07-01',
  endDate: '2028-06-30',
  yearlyMileageKm: 15000,
};
const LEASE_METADATA: LeaseMetadata = {
  kind: 'lease',
  driver: LEASE.driver,
  lease: { startDate: LEASE.startDate, endDate: LEASE.endDate, yearlyMileageKm: LEASE.yearlyMileageKm },
};
const RETURN_METADATA: ReturnMetadata = { kind: 'return', returnedOn: '2028-06-30', odometerKm: 48120 };

// Type-level: the types derived from the schemas refuse what the schemas refuse (`tsc --noEmit` fails when one
// of these expected errors goes away because FromSchema loosened a type).
// @ts-expect-error a year as text
const _textYear: CarRegistration = { ...REGISTRATION, year: '2024' };
// @ts-expect-error an asset without its kind
const _kindless: CarAsset = { schemaVersion: 1, ...REGISTRATION };
// @ts-expect-error a lease without a driver
const _driverless: LeaseRequest = { startDate: '2025-07-01', endDate: '2028-06-30', yearlyMileageKm: 15000 };
// @ts-expect-error return metadata marked as a lease
const _misMarked: ReturnMetadata = { ...RETURN_METADATA, kind: 'lease' };
// eslint-disable-next-line @typescript-eslint/no-meaningless-void-operator -- reads the compile-time-only fixtures above, for noUnusedLocals
void [_textYear, _kindless, _driverless, _misMarked];

/** `value` with the property at `path` replaced by `replacement` (or removed, for `undefined`). */
function changed(value: unknown, path: readonly (string | number)[], replacement: unknown): unknown {
  const copy: unknown = structuredClone(value);
  const parent = path
    .slice(0, -1)
    .reduce<unknown>((node, key) => (node as Record<string | number, unknown>)[key], copy) as Record<
    string | number,
    unknown
  >;
  const last = path[path.length - 1] ?? '';
  // eslint-disable-next-line @typescript-eslint/no-dynamic-delete -- removes the property at a path under test from a plain object
  if (replacement === undefined) delete parent[last];
  else parent[last] = replacement;
  return copy;
}

type Case = [
  description: string,
  path: (string | number)[],
  replacement: unknown,
  field: string,
  rule: string,
  detail: string,
];

const VIN_RULE = 'must be a valid VIN (17 characters without I, O, Q, with a correct check digit)';
const KEY_PATTERN = 'must match pattern "^[1-9A-HJ-NP-Za-km-z]{32,44}$"';

describe('the leasing schemas', () => {
  const schemas = {
    carRegistrationSchema,
    carAssetSchema,
    leaseRequestSchema,
    leaseMetadataSchema,
    returnRequestSchema,
    returnMetadataSchema,
    driverHistorySchema,
  };

  /** Every subschema of `schema` with its JSON pointer in the schema, the root first. */
  function subschemas(schema: object, pointer = ''): [string, Record<string, unknown>][] {
    const node = schema as Record<string, unknown>;
    const properties = Object.entries((node['properties'] ?? {}) as Record<string, object>);
    const items = node['items'] === undefined ? [] : [['items', node['items'] as object] as const];
    return [
      [pointer, node],
      ...properties.flatMap(([name, property]) => subschemas(property, `${pointer}/properties/${name}`)),
      ...items.flatMap(([, item]) => subschemas(item, `${pointer}/items`)),
    ];
  }

  test.each(Object.entries(schemas))('%s describes every property and closes every object', (_name, schema) => {
    for (const [pointer, node] of subschemas(schema)) {
      expect([pointer, typeof node['description']]).toEqual([pointer, 'string']);
      if (node['type'] === 'object') expect([pointer, node['additionalProperties']]).toEqual([pointer, false]);
    }
  });

  test.each(Object.entries(schemas))(
    '%s uses no keyword an embedding OpenAPI 3.1 document would misread',
    (_name, schema) => {
      const text = JSON.stringify(schema);
      for (const keyword of ['"$ref"', '"$schema"', '"$id"', '"default"', '"definitions"', '"example"'])
        expect(text).not.toContain(keyword);
    },
  );

  test.each(Object.entries(schemas))('%s has examples that its own rules accept', (_name, schema) => {
    for (const [pointer, node] of subschemas(schema)) {
      const examples = (node['examples'] ?? []) as unknown[];
      const validate = compileLeasingSchema(node);
      for (const example of examples) expect([pointer, example, validate(example)]).toEqual([pointer, example, true]);
    }
  });

  test('a car asset is a car registration plus its kind and schema version', () => {
    expect(carAssetSchema.required).toEqual(['kind', 'schemaVersion', ...carRegistrationSchema.required]);
    expect(carAssetSchema.properties).toEqual({
      kind: carAssetSchema.properties.kind,
      schemaVersion: carAssetSchema.properties.schemaVersion,
      ...carRegistrationSchema.properties,
    });
  });
});

describe('#parseCarRegistration', () => {
  test('returns a valid registration as it is', () => {
    expect(parseCarRegistration(REGISTRATION)).toBe(REGISTRATION);
  });

  test('accepts a car without components, and components without part number, substances or CAS numbers', () => {
    const minimal = { ...REGISTRATION, components: [] };
    expect(parseCarRegistration(minimal)).toBe(minimal);
    const loose = {
      ...REGISTRATION,
      components: [
        { name: 'Seat', substances: [] },
        { name: 'Paint', substances: [{ name: 'Pigment', concentrationPercent: 0 }] },
      ],
    };
    expect(parseCarRegistration(loose)).toBe(loose);
  });

  test('accepts the limits of year, price and concentration', () => {
    for (const [path, value] of [
      [['year'], 1950],
      [['year'], 2100],
      [['listPrice', 'amount'], 10_000_000],
      [['listPrice', 'amount'], 0.01],
      [['components', 0, 'substances', 0, 'concentrationPercent'], 100],
      [['components', 0, 'substances', 0, 'concentrationPercent'], 0],
    ] as const) {
      expect(parseCarRegistration(changed(REGISTRATION, path, value))).toEqual(changed(REGISTRATION, path, value));
    }
  });

  const violations: Case[] = [
    ['a VIN with a wrong check digit', ['vin'], '1M8GDM9A1KP042788', '/vin', 'vin', VIN_RULE],
    ['a VIN in lower case', ['vin'], '1m8gdm9axkp042788', '/vin', 'vin', VIN_RULE],
    ['a VIN with the letter O', ['vin'], 'OM8GDM9AXKP042788', '/vin', 'vin', VIN_RULE],
    ['a 16-character VIN', ['vin'], '1M8GDM9AXKP04278', '/vin', 'vin', VIN_RULE],
    ['a VIN as a number', ['vin'], 11111111111111112, '/vin', 'type', 'must be string'],
    ['an empty make', ['make'], '', '/make', 'minLength', 'must NOT have fewer than 1 characters'],
    [
      'a model of 101 characters',
      ['model'],
      'x'.repeat(101),
      '/model',
      'maxLength',
      'must NOT have more than 100 characters',
    ],
    ['a year before 1950', ['year'], 1949, '/year', 'minimum', 'must be >= 1950'],
    ['a year after 2100', ['year'], 2101, '/year', 'maximum', 'must be <= 2100'],
    ['a fractional year', ['year'], 2024.5, '/year', 'type', 'must be integer'],
    ['a year as text', ['year'], '2024', '/year', 'type', 'must be integer'],
    ['a price of 0', ['listPrice', 'amount'], 0, '/listPrice/amount', 'exclusiveMinimum', 'must be > 0'],
    ['a negative price', ['listPrice', 'amount'], -1, '/listPrice/amount', 'exclusiveMinimum', 'must be > 0'],
    [
      'a price over 10 million',
      ['listPrice', 'amount'],
      10_000_001,
      '/listPrice/amount',
      'maximum',
      'must be <= 10000000',
    ],
    ['a price as text', ['listPrice', 'amount'], '45990', '/listPrice/amount', 'type', 'must be number'],
    [
      'a lower-case currency',
      ['listPrice', 'currency'],
      'eur',
      '/listPrice/currency',
      'pattern',
      'must match pattern "^[A-Z]{3}$"',
    ],
    [
      'a currency symbol',
      ['listPrice', 'currency'],
      '€',
      '/listPrice/currency',
      'pattern',
      'must match pattern "^[A-Z]{3}$"',
    ],
    [
      'a price without currency',
      ['listPrice', 'currency'],
      undefined,
      '/listPrice/currency',
      'required',
      'is required',
    ],
    [
      'a price with cents on the side',
      ['listPrice', 'cents'],
      0,
      '/listPrice/cents',
      'additionalProperties',
      'is not an allowed property',
    ],
    [
      'a three-letter plant country',
      ['plant', 'country'],
      'DEU',
      '/plant/country',
      'pattern',
      'must match pattern "^[A-Z]{2}$"',
    ],
    ['a plant without name', ['plant', 'name'], undefined, '/plant/name', 'required', 'is required'],
    ['components as an object', ['components'], {}, '/components', 'type', 'must be array'],
    [
      '201 components',
      ['components'],
      Array(201).fill({ name: 'Bolt', substances: [] }),
      '/components',
      'maxItems',
      'must NOT have more than 200 items',
    ],
    [
      'a component without substances',
      ['components', 0, 'substances'],
      undefined,
      '/components/0/substances',
      'required',
      'is required',
    ],
    [
      'a component with an empty part number',
      ['components', 0, 'partNumber'],
      '',
      '/components/0/partNumber',
      'minLength',
      'must NOT have fewer than 1 characters',
    ],
    [
      '101 substances in a component',
      ['components', 0, 'substances'],
      Array(101).fill({ name: 'Lead', concentrationPercent: 1 }),
      '/components/0/substances',
      'maxItems',
      'must NOT have more than 100 items',
    ],
    [
      'a CAS number with a wrong check digit',
      ['components', 0, 'substances', 1, 'casNumber'],
      '7439-92-2',
      '/components/0/substances/1/casNumber',
      'cas-number',
      'must be a valid CAS number (check digit)',
    ],
    [
      'a concentration over 100 %',
      ['components', 0, 'substances', 0, 'concentrationPercent'],
      100.5,
      '/components/0/substances/0/concentrationPercent',
      'maximum',
      'must be <= 100',
    ],
    [
      'a negative concentration',
      ['components', 0, 'substances', 0, 'concentrationPercent'],
      -0.1,
      '/components/0/substances/0/concentrationPercent',
      'minimum',
      'must be >= 0',
    ],
    ['an unknown property', ['color'], 'red', '/color', 'additionalProperties', 'is not an allowed property'],
    [
      'the kind of an asset, which the service adds itself',
      ['kind'],
      'car',
      '/kind',
      'additionalProperties',
      'is not an allowed property',
    ],
  ];

  test.each(violations)(
    'refuses %s, naming the field and the rule',
    (_case, path, replacement, field, rule, detail) => {
      expect(validationFailure(thrown(() => parseCarRegistration(changed(REGISTRATION, path, replacement))))).toEqual(
        failure(field, rule, `car registration ${field} ${detail}`),
      );
    },
  );

  test.each(carRegistrationSchema.required)('refuses a registration without %s', (key) => {
    expect(validationFailure(thrown(() => parseCarRegistration(changed(REGISTRATION, [key], undefined))))).toEqual(
      failure(`/${key}`, 'required', `car registration /${key} is required`),
    );
  });

  test.each([
    ['null', null],
    ['an array', [REGISTRATION]],
    ['JSON text', JSON.stringify(REGISTRATION)],
  ])('refuses %s as a whole', (_case, body) => {
    expect(validationFailure(thrown(() => parseCarRegistration(body)))).toEqual(
      failure('', 'type', 'car registration must be object'),
    );
  });
});

describe('#parseLeaseRequest', () => {
  test('returns a valid lease request as it is', () => {
    expect(parseLeaseRequest(LEASE)).toBe(LEASE);
  });

  test('accepts a one-day lease and the mileage limits', () => {
    for (const lease of [
      { ...LEASE, endDate: '2025-07-02' },
      { ...LEASE, yearlyMileageKm: 1000 },
      { ...LEASE, yearlyMileageKm: 200_000 },
    ]) {
      expect(parseLeaseRequest(lease)).toBe(lease);
    }
  });

  const violations: Case[] = [
    ['an end on the start day', ['endDate'], '2025-07-01', '/endDate', 'after-start-date', 'must be after /startDate'],
    ['an end before the start', ['endDate'], '2024-07-01', '/endDate', 'after-start-date', 'must be after /startDate'],
    ['a start on 30 February', ['startDate'], '2025-02-30', '/startDate', 'date', 'must be a date (YYYY-MM-DD)'],
    ['a start with a time', ['startDate'], '2025-07-01T00:00:00Z', '/startDate', 'date', 'must be a date (YYYY-MM-DD)'],
    ['an end in day-month-year order', ['endDate'], '30.06.2028', '/endDate', 'date', 'must be a date (YYYY-MM-DD)'],
    ['a start as epoch milliseconds', ['startDate'], 1751328000000, '/startDate', 'type', 'must be string'],
    [
      'a driver key with a 0, outside base58',
      ['driver', 'publicKey'],
      `0${DRIVER_KEY.slice(1)}`,
      '/driver/publicKey',
      'pattern',
      KEY_PATTERN,
    ],
    [
      'a driver key of 31 characters',
      ['driver', 'publicKey'],
      DRIVER_KEY.slice(0, 31),
      '/driver/publicKey',
      'pattern',
      KEY_PATTERN,
    ],
    [
      'a base58 driver key of 23 bytes',
      ['driver', 'publicKey'],
      '2'.repeat(32),
      '/driver/publicKey',
      'ed25519-public-key',
      'must be a base58 Ed25519 public key (32 bytes)',
    ],
    [
      'a base58 driver key of 33 bytes',
      ['driver', 'publicKey'],
      'z'.repeat(44),
      '/driver/publicKey',
      'ed25519-public-key',
      'must be a base58 Ed25519 public key (32 bytes)',
    ],
    ['an empty driver id', ['driver', 'id'], '', '/driver/id', 'minLength', 'must NOT have fewer than 1 characters'],
    [
      'a driver id of 65 characters',
      ['driver', 'id'],
      'd'.repeat(65),
      '/driver/id',
      'maxLength',
      'must NOT have more than 64 characters',
    ],
    ['a driver without key', ['driver', 'publicKey'], undefined, '/driver/publicKey', 'required', 'is required'],
    [
      'a driver with a name',
      ['driver', 'name'],
      'Ada',
      '/driver/name',
      'additionalProperties',
      'is not an allowed property',
    ],
    ['a driver as a key alone', ['driver'], DRIVER_KEY, '/driver', 'type', 'must be object'],
    ['a mileage under 1,000 km', ['yearlyMileageKm'], 999, '/yearlyMileageKm', 'minimum', 'must be >= 1000'],
    ['a mileage over 200,000 km', ['yearlyMileageKm'], 200_001, '/yearlyMileageKm', 'maximum', 'must be <= 200000'],
    ['a fractional mileage', ['yearlyMileageKm'], 15000.5, '/yearlyMileageKm', 'type', 'must be integer'],
    ['a missing mileage', ['yearlyMileageKm'], undefined, '/yearlyMileageKm', 'required', 'is required'],
    [
      'a monthly rate, which the lease does not carry',
      ['monthlyRate'],
      399,
      '/monthlyRate',
      'additionalProperties',
      'is not an allowed property',
    ],
  ];

  test.each(violations)(
    'refuses %s, naming the field and the rule',
    (_case, path, replacement, field, rule, detail) => {
      expect(validationFailure(thrown(() => parseLeaseRequest(changed(LEASE, path, replacement))))).toEqual(
        failure(field, rule, `lease request ${field} ${detail}`),
      );
    },
  );

  test('checks the schema before the order of the dates', () => {
    expect(
      validationFailure(thrown(() => parseLeaseRequest({ ...LEASE, endDate: '2024-07-01', yearlyMileageKm: 0 }))),
    ).toEqual(failure('/yearlyMileageKm', 'minimum', 'lease request /yearlyMileageKm must be >= 1000'));
  });
});

describe('#parseReturnRequest', () => {
  test.each([
    ['an empty object', {}],
    ['a return day alone', { returnedOn: '2028-06-30' }],
    ['an odometer reading alone, 0 included', { odometerKm: 0 }],
    ['both', { returnedOn: '2028-06-30', odometerKm: 48120 }],
  ])('accepts %s', (_case, body) => {
    expect(parseReturnRequest(body)).toBe(body);
  });

  test.each([
    ['a negative odometer reading', { odometerKm: -1 }, '/odometerKm', 'minimum', 'must be >= 0'],
    ['a fractional odometer reading', { odometerKm: 48120.5 }, '/odometerKm', 'type', 'must be integer'],
    ['a return day that is no date', { returnedOn: 'today' }, '/returnedOn', 'date', 'must be a date (YYYY-MM-DD)'],
    ['the kind of the metadata', { kind: 'return' }, '/kind', 'additionalProperties', 'is not an allowed property'],
  ])('refuses %s, naming the field and the rule', (_case, body, field, rule, detail) => {
    expect(validationFailure(thrown(() => parseReturnRequest(body)))).toEqual(
      failure(field, rule, `return request ${field} ${detail}`),
    );
  });

  test('refuses a missing body (null) as a whole', () => {
    expect(validationFailure(thrown(() => parseReturnRequest(null)))).toEqual(
      failure('', 'type', 'return request must be object'),
    );
  });
});

describe('#readCarAsset', () => {
  test('returns a car asset as it is', () => {
    expect(readCarAsset(ASSET)).toBe(ASSET);
  });

  test.each([
    ['a registration without kind and version', REGISTRATION],
    ['another kind of asset', { ...ASSET, kind: 'bike' }],
    ['a later schema version', { ...ASSET, schemaVersion: 2 }],
    ['a car with an invalid VIN', { ...ASSET, vin: '1M8GDM9A1KP042788' }],
    ['a car with an extra property', { ...ASSET, color: 'red' }],
    ['lease metadata', LEASE_METADATA],
    ['null (a TRANSFER has no asset data)', null],
    ['text', 'car'],
  ])('returns undefined for %s', (_case, data) => {
    expect(readCarAsset(data)).toBeUndefined();
  });
});

describe('#readLeaseMetadata', () => {
  test('returns lease metadata as it is', () => {
    expect(readLeaseMetadata(LEASE_METADATA)).toBe(LEASE_METADATA);
  });

  test.each([
    ['return metadata', RETURN_METADATA],
    ['a car asset', ASSET],
    ['a lease request without its kind', LEASE],
    [
      'a lease that ends before it starts',
      { ...LEASE_METADATA, lease: { ...LEASE_METADATA.lease, endDate: '2025-06-30' } },
    ],
    ['a lease with an invalid driver key', { ...LEASE_METADATA, driver: { id: 'D-1', publicKey: '2'.repeat(32) } }],
    ['null', null],
  ])('returns undefined for %s', (_case, metadata) => {
    expect(readLeaseMetadata(metadata)).toBeUndefined();
  });
});

describe('#readReturnMetadata', () => {
  test('returns return metadata as it is, with or without an odometer reading', () => {
    expect(readReturnMetadata(RETURN_METADATA)).toBe(RETURN_METADATA);
    const bare = { kind: 'return', returnedOn: '2028-06-30' };
    expect(readReturnMetadata(bare)).toBe(bare);
  });

  test.each([
    ['lease metadata', LEASE_METADATA],
    ['a return request', { returnedOn: '2028-06-30' }],
    ['a return without its day', { kind: 'return' }],
    ['null', null],
  ])('returns undefined for %s', (_case, metadata) => {
    expect(readReturnMetadata(metadata)).toBeUndefined();
  });
});
