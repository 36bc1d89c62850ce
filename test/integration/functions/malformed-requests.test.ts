import type { HttpHandler } from '@azure/functions';

import { leaseCar } from '../../../functions/lease-car';
import { registerCar } from '../../../functions/register-car';
import { returnCar } from '../../../functions/return-car';
import { submitTransaction } from '../../../functions/submit-transaction';
import { generateKeyPair } from '../../../shared/transaction/signing';
import { type AppFixture, callHttp, startAppFixture } from '../../helpers/functions-app';
import { carRegistration, leaseRequest } from '../../helpers/leasing-data';
import { createTransaction } from '../../helpers/transactions';

// Every malformed body answers 400 with the field and the rule it breaks, and nothing reaches the chain.

let app: AppFixture;
let assetId: string;
let handlers: Record<'register' | 'lease' | 'return' | 'submit', HttpHandler>;

beforeAll(async () => {
  app = await startAppFixture();
  handlers = {
    register: registerCar(app.services),
    lease: leaseCar(app.services),
    return: returnCar(app.services),
    submit: submitTransaction(app.services),
  };
  const registered = await callHttp(handlers.register, { body: carRegistration() });
  assetId = (registered.body as { assetId: string }).assetId;
});

afterAll(() => app.close());

const car = carRegistration();
const terms = leaseRequest(generateKeyPair());
const component = car.components[0];
const substance = component?.substances[0];
const signed = createTransaction(generateKeyPair(), { data: { kind: 'probe' } });

type Case = [description: string, endpoint: keyof typeof handlers, body: unknown, field: string, rule: string];

const cases: Case[] = [
  ['a body that is not JSON', 'register', '{"vin": ', '', 'json'],
  ['a JSON array instead of an object', 'register', [car], '', 'type'],
  ['a missing VIN', 'register', { ...car, vin: undefined }, '/vin', 'required'],
  ['a VIN of 16 characters', 'register', { ...car, vin: car.vin.slice(1) }, '/vin', 'vin'],
  ['a VIN with the letter O', 'register', { ...car, vin: `O${car.vin.slice(1)}` }, '/vin', 'vin'],
  ['a lower-case VIN', 'register', { ...car, vin: car.vin.toLowerCase() }, '/vin', 'vin'],
  ['a VIN that is a number', 'register', { ...car, vin: 12345678901234568 }, '/vin', 'type'],
  ['an empty make', 'register', { ...car, make: '' }, '/make', 'minLength'],
  ['a missing model', 'register', { ...car, model: undefined }, '/model', 'required'],
  ['a year before 1950', 'register', { ...car, year: 1949 }, '/year', 'minimum'],
  ['a fractional year', 'register', { ...car, year: 2024.5 }, '/year', 'type'],
  ['a year as text', 'register', { ...car, year: '2024' }, '/year', 'type'],
  [
    'a zero list price',
    'register',
    { ...car, listPrice: { amount: 0, currency: 'EUR' } },
    '/listPrice/amount',
    'exclusiveMinimum',
  ],
  [
    'a negative list price',
    'register',
    { ...car, listPrice: { amount: -1, currency: 'EUR' } },
    '/listPrice/amount',
    'exclusiveMinimum',
  ],
  [
    'a lower-case currency',
    'register',
    { ...car, listPrice: { amount: 1, currency: 'eur' } },
    '/listPrice/currency',
    'pattern',
  ],
  ['a missing currency', 'register', { ...car, listPrice: { amount: 1 } }, '/listPrice/currency', 'required'],
  [
    'a plant country of three letters',
    'register',
    { ...car, plant: { name: 'Zwickau', country: 'DEU' } },
    '/plant/country',
    'pattern',
  ],
  ['components that are not an array', 'register', { ...car, components: {} }, '/components', 'type'],
  [
    'a substance with a wrong CAS check digit',
    'register',
    { ...car, components: [{ ...component, substances: [{ ...substance, casNumber: '7440-48-5' }] }] },
    '/components/0/substances/0/casNumber',
    'cas-number',
  ],
  [
    'a concentration above 100 %',
    'register',
    { ...car, components: [{ ...component, substances: [{ ...substance, concentrationPercent: 100.5 }] }] },
    '/components/0/substances/0/concentrationPercent',
    'maximum',
  ],
  [
    'a substance without a name',
    'register',
    { ...car, components: [{ ...component, substances: [{ concentrationPercent: 1 }] }] },
    '/components/0/substances/0/name',
    'required',
  ],
  ['an unknown property', 'register', { ...car, colour: 'red' }, '/colour', 'additionalProperties'],
  ['a lease without a driver', 'lease', { ...terms, driver: undefined }, '/driver', 'required'],
  [
    'a driver key that is not base58',
    'lease',
    { ...terms, driver: { ...terms.driver, publicKey: '0OIl'.repeat(11) } },
    '/driver/publicKey',
    'pattern',
  ],
  ['a driver id that is empty', 'lease', { ...terms, driver: { ...terms.driver, id: '' } }, '/driver/id', 'minLength'],
  ['a start date that is not a date', 'lease', { ...terms, startDate: '01/02/2026' }, '/startDate', 'date'],
  ['an impossible end date', 'lease', { ...terms, endDate: '2027-02-30' }, '/endDate', 'date'],
  ['a yearly mileage below 1,000 km', 'lease', { ...terms, yearlyMileageKm: 999 }, '/yearlyMileageKm', 'minimum'],
  ['a fractional yearly mileage', 'lease', { ...terms, yearlyMileageKm: 15000.5 }, '/yearlyMileageKm', 'type'],
  ['a return with a negative odometer', 'return', { odometerKm: -5 }, '/odometerKm', 'minimum'],
  ['a return date that is not a date', 'return', { returnedOn: 'yesterday' }, '/returnedOn', 'date'],
  ['a transaction without an id', 'submit', { ...signed, id: undefined }, '/id', 'required'],
  ['a transaction that is not JSON', 'submit', '{"id":', '', 'json'],
  ['a transaction that is a string', 'submit', '"CREATE"', '', 'type'],
];

describe.each(cases)('%s', (_description, endpoint, body, field, rule) => {
  it(`answers 400 naming ${field || 'the body'} and the rule ${rule}, and commits nothing`, async () => {
    const heightBefore = app.node.latestHeight;
    const response = await callHttp(handlers[endpoint], {
      params: { assetId },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
    expect(response.status).toBe(400);
    const error = (response.body as { error: { code: string; message: string; field?: string; rule?: string } }).error;
    expect(error.code).toMatch(/^(VALIDATION_FAILED|INVALID_TRANSACTION)$/);
    if (error.code === 'VALIDATION_FAILED') expect(error).toMatchObject({ field, rule });
    else expect(error.field ?? '').toBe(field);
    if (field !== '') expect(error.message).toContain(field.split('/').pop() ?? '');
    expect(app.node.latestHeight).toBe(heightBefore);
  });
});

it('covers at least 30 malformed bodies', () => {
  expect(cases.length).toBeGreaterThanOrEqual(30);
});
