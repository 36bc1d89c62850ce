import Ajv from 'ajv';
import addFormats from 'ajv-formats';
import type { FromSchema } from 'json-schema-to-ts';

import { fromAjvErrors, ValidationError } from './errors';

/**
 * The message on the `ledger-events` queue (ARCHITECTURE.md "Contracts"): one per committed transaction,
 * small, because the consumer fetches the transaction itself. Delivery is at least once and in any order;
 * consumers are idempotent by `transaction_id` and order by `height`.
 */
export const ledgerEventSchema = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  type: 'object',
  required: ['transaction_id', 'asset_id', 'height', 'source', 'relayed_at'],
  additionalProperties: false,
  properties: {
    transaction_id: { type: 'string', pattern: '^[0-9a-f]{64}$' },
    /** The CREATE transaction's id: its own for a CREATE, `asset.id` for a TRANSFER (spec §7). */
    asset_id: { type: 'string', pattern: '^[0-9a-f]{64}$' },
    /** Height of the block that committed the transaction. */
    height: { type: 'integer', minimum: 0 },
    /** How the relay learned of the transaction. */
    source: { type: 'string', enum: ['stream', 'backfill', 'webhook', 'replay'] },
    /** When the relay put the message on the queue, RFC 3339 with a time zone (`new Date().toISOString()`). */
    relayed_at: { type: 'string', format: 'date-time' },
  },
} as const;

/** A ledger-events queue message, as {@link ledgerEventSchema} describes it. */
export type LedgerEvent = FromSchema<typeof ledgerEventSchema>;

/** How the relay learned of a transaction. */
export type LedgerEventSource = LedgerEvent['source'];

const SUBJECT = 'ledger event';

const ajv = new Ajv();
addFormats(ajv, ['date-time']);
const isLedgerEvent = ajv.compile<LedgerEvent>(ledgerEventSchema);

/**
 * Validates a queue message as a queue-triggered function receives it (the Functions library hands it
 * over base64-decoded and JSON-parsed).
 *
 * @throws ValidationError naming the first offending field as a JSON pointer and the rule it broke,
 * e.g. `ledger event /height must be integer` (`field: '/height'`, `rule: 'type'`).
 */
export function parseLedgerEvent(value: unknown): LedgerEvent {
  if (!isLedgerEvent(value)) throw fromAjvErrors(isLedgerEvent.errors, SUBJECT);
  return value;
}

/**
 * The queue message text of an event: base64 of its UTF-8 JSON, fields in schema order. The Functions
 * queue trigger base64-decodes by default; plain JSON would go straight to the poison queue.
 *
 * @throws ValidationError when the event does not fit the schema (say, an extra property at run time),
 * so that nothing a consumer must refuse reaches the queue.
 */
export function encodeLedgerEvent(event: LedgerEvent): string {
  const { transaction_id, asset_id, height, source, relayed_at } = parseLedgerEvent(event);
  const json = JSON.stringify({ transaction_id, asset_id, height, source, relayed_at });
  return Buffer.from(json, 'utf8').toString('base64');
}

// Standard alphabet with padding, as Buffer writes it and the Functions host expects.
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Reads a raw queue message (as a tool that peeks the queue sees it) back into an event.
 *
 * @throws ValidationError with rule `base64`, `utf-8` or `json` (field `''`) when the text is not an
 * encoded event at all, otherwise as {@link parseLedgerEvent}.
 */
export function decodeLedgerEvent(base64Text: string): LedgerEvent {
  // Buffer.from(…, 'base64') skips characters outside the alphabet, so plain JSON would decode to junk.
  if (!BASE64.test(base64Text)) throw notEncoded('base64', 'is not base64 text');
  let text: string;
  try {
    text = utf8.decode(Buffer.from(base64Text, 'base64'));
  } catch {
    throw notEncoded('utf-8', 'is not UTF-8 text once base64-decoded');
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw notEncoded('json', 'is not JSON once base64-decoded');
  }
  return parseLedgerEvent(value);
}

function notEncoded(rule: string, detail: string): ValidationError {
  return new ValidationError({ message: `${SUBJECT} ${detail}`, field: '', rule });
}
