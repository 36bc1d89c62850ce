import type { FromSchema } from 'json-schema-to-ts';

import { ValidationError } from '../errors';
import { utcDateOf } from './calendar-date';
import { calendarDateProperty, compileLeasingSchema, toValidationError } from './leasing-validator';

// The insurer's record of a driver, which the pricing model reads. Like the other leasing schemas
// (schemas.ts): draft-07 that OpenAPI 3.1 embeds as it is, every property described, objects closed.

const eventDate = calendarDateProperty('Day it happened; not in the future.', ['2023-04-17']);
const eventDescription = {
  type: 'string',
  maxLength: 500,
  description: 'Free text.',
  examples: ['Rear-ended at a junction'],
} as const;

/** The body of `PUT /api/drivers/{publicKey}`: what the insurer knows of a driver, replacing what it knew. */
export const driverHistorySchema = {
  type: 'object',
  description: "A driver's record as the insurer prices it; the lists are complete and may be empty.",
  required: ['licensedSince', 'atFaultAccidents', 'claims', 'violations'],
  additionalProperties: false,
  properties: {
    licensedSince: calendarDateProperty('Day the driving licence was first issued; not in the future.', ['2012-05-03']),
    atFaultAccidents: {
      type: 'array',
      maxItems: 100,
      description: 'Accidents the driver caused.',
      items: {
        type: 'object',
        description: 'An accident the driver caused.',
        required: ['date'],
        additionalProperties: false,
        properties: { date: eventDate, description: eventDescription },
      },
    },
    claims: {
      type: 'array',
      maxItems: 100,
      description: 'Insurance claims made for the driver.',
      items: {
        type: 'object',
        description: 'An insurance claim.',
        required: ['date'],
        additionalProperties: false,
        properties: {
          date: eventDate,
          amountEur: { type: 'number', minimum: 0, description: 'Amount paid out, in euros.', examples: [1850] },
          description: eventDescription,
        },
      },
    },
    violations: {
      type: 'array',
      maxItems: 100,
      description: 'Traffic violations the driver was convicted of.',
      items: {
        type: 'object',
        description: 'A traffic violation.',
        required: ['date', 'kind'],
        additionalProperties: false,
        properties: {
          date: eventDate,
          kind: {
            type: 'string',
            enum: ['speeding', 'red-light', 'phone-use', 'dui', 'other'],
            description: 'What the violation was; `dui` is driving under the influence.',
            examples: ['speeding'],
          },
        },
      },
    },
  },
  examples: [
    {
      licensedSince: '2012-05-03',
      atFaultAccidents: [{ date: '2023-04-17', description: 'Rear-ended at a junction' }],
      claims: [{ date: '2023-04-20', amountEur: 1850 }],
      violations: [{ date: '2024-09-02', kind: 'speeding' }],
    },
  ],
} as const;

/** A driver's history, as {@link driverHistorySchema} describes it. */
export type DriverHistory = FromSchema<typeof driverHistorySchema>;

/** The kind of a traffic violation in a {@link DriverHistory}. */
export type ViolationKind = DriverHistory['violations'][number]['kind'];

const validateDriverHistory = compileLeasingSchema<DriverHistory>(driverHistorySchema);

/**
 * Validates the body of `PUT /api/drivers/{publicKey}`. No date may be after `today`'s UTC date: a licence
 * or an accident in the future is a mistake.
 *
 * @param today - now, as the caller's clock tells it (injected so that this stays pure).
 * @throws ValidationError naming the first offending field and its rule; rule `not-in-future` for a date
 * after today (`licensedSince` first, then the lists in order), checked once the schema holds.
 * @throws RangeError when `today` is not a valid date.
 */
export function parseDriverHistory(body: unknown, today: Date): DriverHistory {
  if (!validateDriverHistory(body)) throw toValidationError(validateDriverHistory.errors, 'driver history');
  const latest = utcDateOf(today);
  const dates: [string, string][] = [
    ['/licensedSince', body.licensedSince],
    ...body.atFaultAccidents.map(({ date }, index): [string, string] => [`/atFaultAccidents/${index}/date`, date]),
    ...body.claims.map(({ date }, index): [string, string] => [`/claims/${index}/date`, date]),
    ...body.violations.map(({ date }, index): [string, string] => [`/violations/${index}/date`, date]),
  ];
  const future = dates.find(([, date]) => date > latest);
  if (future !== undefined) {
    const [field] = future;
    const message = `driver history ${field} must not be in the future`;
    throw new ValidationError({ message, field, rule: 'not-in-future' });
  }
  return body;
}
