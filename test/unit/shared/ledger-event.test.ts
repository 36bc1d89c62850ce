import { ValidationError } from '../../../shared/errors';
import {
  decodeLedgerEvent,
  encodeLedgerEvent,
  type LedgerEvent,
  ledgerEventSchema,
  parseLedgerEvent,
} from '../../../shared/ledger-event';
import { thrown } from '../../helpers/thrown';

const TX_ID = '4f1e0a6c3d2b1a09f8e7d6c5b4a39281706f5e4d3c2b1a091827364554637281';
const ASSET_ID = '0b1c2d3e4f5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0';

// Type-level: the type derived from the schema accepts a well-formed event and refuses a wrong one
// (`tsc --noEmit` fails if FromSchema ever loosens the type so that an @ts-expect-error stops erring).
const EVENT: LedgerEvent = {
  transaction_id: TX_ID,
  asset_id: ASSET_ID,
  height: 7,
  source: 'stream',
  relayed_at: '2025-11-25T17:00:00.000Z',
};
// @ts-expect-error an unknown source
const _unknownSource: LedgerEvent = { ...EVENT, source: 'poll' };
// @ts-expect-error a missing field
const _missingField: LedgerEvent = { transaction_id: TX_ID, asset_id: ASSET_ID, height: 7, source: 'stream' };
// @ts-expect-error a height as text
const _textHeight: LedgerEvent = { ...EVENT, height: '7' };
// eslint-disable-next-line @typescript-eslint/no-meaningless-void-operator -- reads the compile-time-only fixtures above, for noUnusedLocals
void [_unknownSource, _missingField, _textHeight];

const JSON_TEXT =
  '{"transaction_id":"4f1e0a6c3d2b1a09f8e7d6c5b4a39281706f5e4d3c2b1a091827364554637281",' +
  '"asset_id":"0b1c2d3e4f5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0",' +
  '"height":7,"source":"stream","relayed_at":"2025-11-25T17:00:00.000Z"}';
const BASE64_TEXT =
  'eyJ0cmFuc2FjdGlvbl9pZCI6IjRmMWUwYTZjM2QyYjFhMDlmOGU3ZDZjNWI0YTM5MjgxNzA2ZjVlNGQzYzJiMWEwOTE4MjczNjQ1NTQ2MzcyODEiLCJhc3NldF9pZCI6IjBi' +
  'MWMyZDNlNGY1YTY5Nzg4Nzk2YTViNGMzZDJlMWYwMGYxZTJkM2M0YjVhNjk3ODg3OTZhNWI0YzNkMmUxZjAiLCJoZWlnaHQiOjcsInNvdXJjZSI6InN0cmVhbSIsInJl' +
  'bGF5ZWRfYXQiOiIyMDI1LTExLTI1VDE3OjAwOjAwLjAwMFoifQ==';

/** Everything a ValidationError carries, for an exact comparison. */
function validationFailure(error: unknown): Record<string, unknown> {
  if (!(error instanceof ValidationError)) throw error;
  const { name, code, status, field, rule, message } = error;
  return { name, code, status, field, rule, message };
}

function failure(field: string, rule: string, message: string): Record<string, unknown> {
  return { name: 'ValidationError', code: 'VALIDATION_FAILED', status: 400, field, rule, message };
}

describe('ledgerEventSchema', () => {
  test('is a closed draft-07 object schema requiring all five fields', () => {
    expect(ledgerEventSchema.$schema).toBe('http://json-schema.org/draft-07/schema#');
    expect(ledgerEventSchema.additionalProperties).toBe(false);
    expect(ledgerEventSchema.required).toEqual(['transaction_id', 'asset_id', 'height', 'source', 'relayed_at']);
  });
});

describe('#encodeLedgerEvent', () => {
  test('writes base64 of the compact UTF-8 JSON with fields in schema order', () => {
    expect(Buffer.from(BASE64_TEXT, 'base64').toString('utf8')).toBe(JSON_TEXT);
    expect(encodeLedgerEvent(EVENT)).toBe(BASE64_TEXT);
  });

  test('writes the same text whatever the key order of the event object', () => {
    const shuffled: LedgerEvent = {
      relayed_at: EVENT.relayed_at,
      source: 'stream',
      height: 7,
      asset_id: ASSET_ID,
      transaction_id: TX_ID,
    };
    expect(encodeLedgerEvent(shuffled)).toBe(BASE64_TEXT);
  });

  test('refuses an event that breaks the schema, so that nothing invalid reaches the queue', () => {
    expect(validationFailure(thrown(() => encodeLedgerEvent({ ...EVENT, height: -1 })))).toEqual(
      failure('/height', 'minimum', 'ledger event /height must be >= 0'),
    );
  });
});

describe('#decodeLedgerEvent', () => {
  test('reads back exactly the event that was encoded', () => {
    expect(decodeLedgerEvent(BASE64_TEXT)).toEqual(EVENT);
    for (const source of ['stream', 'backfill', 'webhook', 'replay'] as const) {
      const event: LedgerEvent = { ...EVENT, source, height: 0 };
      expect(decodeLedgerEvent(encodeLedgerEvent(event))).toEqual(event);
    }
  });

  test('refuses plain JSON text, which the queue trigger would send to poison', () => {
    expect(validationFailure(thrown(() => decodeLedgerEvent(JSON_TEXT)))).toEqual(
      failure('', 'base64', 'ledger event is not base64 text'),
    );
  });

  test('refuses base64 of bytes that are not UTF-8', () => {
    const text = Buffer.from([0xff, 0xfe, 0x7b]).toString('base64');
    expect(validationFailure(thrown(() => decodeLedgerEvent(text)))).toEqual(
      failure('', 'utf-8', 'ledger event is not UTF-8 text once base64-decoded'),
    );
  });

  test('refuses base64 of text that is not JSON', () => {
    const text = Buffer.from('height=7').toString('base64');
    expect(validationFailure(thrown(() => decodeLedgerEvent(text)))).toEqual(
      failure('', 'json', 'ledger event is not JSON once base64-decoded'),
    );
  });

  test('refuses base64 JSON that breaks the schema, naming the field', () => {
    const text = Buffer.from(JSON.stringify({ ...EVENT, source: 'poll' })).toString('base64');
    expect(validationFailure(thrown(() => decodeLedgerEvent(text)))).toEqual(
      failure('/source', 'enum', 'ledger event /source must be one of "stream", "backfill", "webhook", "replay"'),
    );
  });
});

describe('#parseLedgerEvent', () => {
  test('returns a valid event as it is', () => {
    const value: unknown = JSON.parse(JSON_TEXT);
    expect(parseLedgerEvent(value)).toBe(value);
    expect(parseLedgerEvent(value)).toEqual(EVENT);
  });

  test('accepts height 0 and a date-time with an offset', () => {
    const event = { ...EVENT, height: 0, relayed_at: '2025-11-25T18:00:00+01:00' };
    expect(parseLedgerEvent(event)).toEqual(event);
  });

  const HEX = 'must match pattern "^[0-9a-f]{64}$"';
  const violations: [string, Record<string, unknown>, string, string, string][] = [
    ['an upper-case transaction_id', { transaction_id: TX_ID.toUpperCase() }, '/transaction_id', 'pattern', HEX],
    ['a 63-digit transaction_id', { transaction_id: TX_ID.slice(1) }, '/transaction_id', 'pattern', HEX],
    ['a numeric transaction_id', { transaction_id: 7 }, '/transaction_id', 'type', 'must be string'],
    ['an asset_id with a non-hex digit', { asset_id: `${ASSET_ID.slice(1)}g` }, '/asset_id', 'pattern', HEX],
    ['a null asset_id', { asset_id: null }, '/asset_id', 'type', 'must be string'],
    ['a fractional height', { height: 1.5 }, '/height', 'type', 'must be integer'],
    ['a height as text', { height: '7' }, '/height', 'type', 'must be integer'],
    ['a negative height', { height: -1 }, '/height', 'minimum', 'must be >= 0'],
    [
      'an unknown source',
      { source: 'poll' },
      '/source',
      'enum',
      'must be one of "stream", "backfill", "webhook", "replay"',
    ],
    [
      'a relayed_at that is no date',
      { relayed_at: 'yesterday' },
      '/relayed_at',
      'format',
      'must match format "date-time"',
    ],
    [
      'a relayed_at without time zone',
      { relayed_at: '2025-11-25T17:00:00' },
      '/relayed_at',
      'format',
      'must match format "date-time"',
    ],
    ['a relayed_at as epoch milliseconds', { relayed_at: 1764090000000 }, '/relayed_at', 'type', 'must be string'],
  ];

  test.each(violations)('refuses %s, naming the field and the rule', (_case, change, field, rule, detail) => {
    const error = thrown(() => parseLedgerEvent({ ...EVENT, ...change }));
    expect(validationFailure(error)).toEqual(failure(field, rule, `ledger event ${field} ${detail}`));
  });

  test.each(Object.keys(EVENT))('refuses an event without %s', (key) => {
    const event: Record<string, unknown> = { ...EVENT };
    // eslint-disable-next-line @typescript-eslint/no-dynamic-delete -- removes each required property in turn from a plain object
    delete event[key];
    expect(validationFailure(thrown(() => parseLedgerEvent(event)))).toEqual(
      failure(`/${key}`, 'required', `ledger event /${key} is required`),
    );
  });

  test('refuses an extra property, naming it', () => {
    expect(validationFailure(thrown(() => parseLedgerEvent({ ...EVENT, block_id: 7 })))).toEqual(
      failure('/block_id', 'additionalProperties', 'ledger event /block_id is not an allowed property'),
    );
  });

  test('escapes an extra property name into a JSON pointer token', () => {
    expect(validationFailure(thrown(() => parseLedgerEvent({ ...EVENT, 'a/b~c': 1 })))).toEqual(
      failure('/a~1b~0c', 'additionalProperties', 'ledger event /a~1b~0c is not an allowed property'),
    );
  });

  test.each([
    ['null', null],
    ['an array', [EVENT]],
    ['the base64 text itself', BASE64_TEXT],
  ])('refuses %s as a whole', (_case, value) => {
    expect(validationFailure(thrown(() => parseLedgerEvent(value)))).toEqual(
      failure('', 'type', 'ledger event must be object'),
    );
  });
});
