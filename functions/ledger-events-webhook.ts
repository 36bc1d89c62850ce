import type {
  HttpFunctionOptions,
  HttpHandler,
  HttpRequest,
  HttpResponseInit,
  InvocationContext,
} from '@azure/functions';
import Ajv from 'ajv';
import type { FromSchema } from 'json-schema-to-ts';

import { fromAjvErrors, UpstreamError } from '../shared/errors';
import { encodeLedgerEvent, type LedgerEvent, ledgerEventSchema } from '../shared/ledger-event';
import { toHttpResponse } from './http-errors';
import { parseJsonText, readJsonText } from './request-body';
import type { Services } from './services';
import { SIGNATURE_HEADER, verifyWebhookSignature } from './webhook-signature';

/** `POST /api/ledger-events`. */
export const ledgerEventsWebhookOptions = {
  methods: ['POST'],
  route: 'ledger-events',
  authLevel: 'function',
} as const satisfies Omit<HttpFunctionOptions, 'handler'>;

const { transaction_id, asset_id, height } = ledgerEventSchema.properties;

/** One event as BigchainDB's Event Stream sends it (bigchaindb-node spec §7); any other property is refused. */
export const webhookEventSchema = {
  type: 'object',
  required: ['transaction_id', 'asset_id', 'height'],
  additionalProperties: false,
  properties: {
    transaction_id: { ...transaction_id, description: 'The committed transaction.' },
    asset_id: { ...asset_id, description: "The asset's CREATE transaction id (its own id for a CREATE)." },
    height: { ...height, description: 'Height of the block that committed it.' },
  },
} as const;

/** A webhook body: one event or up to {@link MAX_EVENTS_PER_REQUEST} of them. */
export const webhookBodySchema = {
  oneOf: [webhookEventSchema, { type: 'array', minItems: 1, maxItems: 1000, items: webhookEventSchema }],
} as const;

/** The most events one webhook request may carry. */
export const MAX_EVENTS_PER_REQUEST = webhookBodySchema.oneOf[1].maxItems;

type WebhookEvent = FromSchema<typeof webhookEventSchema>;

const ajv = new Ajv();
// One validator per branch, so that an error in the third event of an array names `/2/height`, not "must be object".
const isWebhookEvent = ajv.compile<WebhookEvent>(webhookEventSchema);
const isWebhookEventArray = ajv.compile<WebhookEvent[]>(webhookBodySchema.oneOf[1]);

function parseWebhookBody(body: unknown): WebhookEvent[] {
  const validate = Array.isArray(body) ? isWebhookEventArray : isWebhookEvent;
  if (!validate(body)) throw fromAjvErrors(validate.errors, 'ledger event');
  return Array.isArray(body) ? body : [body];
}

// Sends in flight at once for a batch; the queue takes one message per call.
const SEND_CONCURRENCY = 16;

/**
 * Generic ingress for BigchainDB events from any source (the original design's webhook): checks the HMAC
 * signature over timestamp and raw body (header `x-ledger-signature`), validates the events, and puts one
 * `ledger-events` message per event with `source: "webhook"`, exactly like the relay's. 202 once every message is
 * on the queue; on a storage failure 503, and the sender retries (the consumer is idempotent).
 */
export function ledgerEventsWebhook(services: Pick<Services, 'ledgerEvents' | 'webhookSecret' | 'now'>): HttpHandler {
  return async function ledgerEventsWebhook(
    request: HttpRequest,
    context: InvocationContext,
  ): Promise<HttpResponseInit> {
    try {
      const text = await readJsonText(request);
      verifyWebhookSignature(services.webhookSecret, request.headers.get(SIGNATURE_HEADER), text, services.now());
      const relayedAt = services.now().toISOString();
      const events: LedgerEvent[] = parseWebhookBody(parseJsonText(text)).map((event) => ({
        ...event,
        source: 'webhook',
        relayed_at: relayedAt,
      }));
      await enqueue(services.ledgerEvents, events);
      context.log(`webhook: ${events.length} ledger event(s) enqueued`);
      return { status: 202, jsonBody: { accepted: events.length } };
    } catch (error: unknown) {
      return toHttpResponse(error, context);
    }
  };
}

async function enqueue(queue: Services['ledgerEvents'], events: readonly LedgerEvent[]): Promise<void> {
  try {
    for (let start = 0; start < events.length; start += SEND_CONCURRENCY) {
      await Promise.all(
        events.slice(start, start + SEND_CONCURRENCY).map((event) => queue.sendMessage(encodeLedgerEvent(event))),
      );
    }
  } catch (error: unknown) {
    const cause = error instanceof Error ? error : undefined;
    throw new UpstreamError({
      status: 503,
      service: 'storage',
      message: `storage: sending to queue ${queue.name} failed`,
      ...(cause ? { cause } : {}),
    });
  }
}
