import { ledgerEventsWebhook } from '../../../functions/ledger-events-webhook';
import { signWebhookBody } from '../../../functions/webhook-signature';
import { decodeLedgerEvent } from '../../../shared/ledger-event';
import { type AppFixture, callHttp, startAppFixture, TEST_WEBHOOK_SECRET } from '../../helpers/functions-app';

let app: AppFixture;
const NOW = new Date('2026-11-25T12:00:00.000Z');
const nowSeconds = NOW.getTime() / 1000;
const event = (height: number): { transaction_id: string; asset_id: string; height: number } => ({
  transaction_id: height.toString(16).padStart(64, 'a'),
  asset_id: 'b'.repeat(64),
  height,
});

beforeAll(async () => {
  app = await startAppFixture();
});

afterAll(() => app.close());

beforeEach(() => app.services.ledgerEvents.clearMessages());

function post(body: string, signature: string | undefined): ReturnType<typeof callHttp> {
  const handler = ledgerEventsWebhook({ ...app.services, now: () => NOW });
  return callHttp(handler, { body, headers: signature === undefined ? {} : { 'x-ledger-signature': signature } });
}

async function queuedEvents(): Promise<unknown[]> {
  const { receivedMessageItems } = await app.services.ledgerEvents.receiveMessages({ numberOfMessages: 32 });
  return receivedMessageItems.map(({ messageText }) => decodeLedgerEvent(messageText));
}

describe('POST /api/ledger-events', () => {
  it('enqueues a correctly signed event like the relay does, with source webhook', async () => {
    const body = JSON.stringify(event(7));
    const response = await post(body, signWebhookBody(TEST_WEBHOOK_SECRET, body, nowSeconds));
    expect(response).toMatchObject({ status: 202, body: { accepted: 1 } });
    expect(await queuedEvents()).toEqual([{ ...event(7), source: 'webhook', relayed_at: NOW.toISOString() }]);
  });

  it('enqueues one message per event of an array', async () => {
    const body = JSON.stringify([event(1), event(2), event(3)]);
    const response = await post(body, signWebhookBody(TEST_WEBHOOK_SECRET, body, nowSeconds - 200));
    expect(response).toMatchObject({ status: 202, body: { accepted: 3 } });
    const heights = ((await queuedEvents()) as { height: number }[]).map(({ height }) => height).sort();
    expect(heights).toEqual([1, 2, 3]);
  });

  it.each([
    ['a missing signature', undefined, /^missing x-ledger-signature header$/],
    ['a malformed signature', 'sha256=abc', /^x-ledger-signature must be "t=<unix seconds>,v1=/],
    [
      'a signature made with another secret',
      signWebhookBody('another secret of at least 32 characters', JSON.stringify(event(1)), nowSeconds),
      /^x-ledger-signature does not match the body$/,
    ],
    [
      'a signature of another body',
      signWebhookBody(TEST_WEBHOOK_SECRET, JSON.stringify(event(2)), nowSeconds),
      /^x-ledger-signature does not match the body$/,
    ],
    [
      'a signature over six minutes old',
      signWebhookBody(TEST_WEBHOOK_SECRET, JSON.stringify(event(1)), nowSeconds - 360),
      /^x-ledger-signature timestamp is 360 s from the server's clock \(at most 300 s\)$/,
    ],
    [
      'a signature from six minutes ahead',
      signWebhookBody(TEST_WEBHOOK_SECRET, JSON.stringify(event(1)), nowSeconds + 360),
      /timestamp is 360 s from/,
    ],
  ])('answers 401 for %s and enqueues nothing', async (_case, signature, message) => {
    const response = await post(JSON.stringify(event(1)), signature);
    expect(response.status).toBe(401);
    expect(response.body).toEqual({ error: { code: 'SIGNATURE_INVALID', message: expect.stringMatching(message) } });
    expect(await queuedEvents()).toEqual([]);
  });

  it('answers 400 naming the field of a bad event in an array, and enqueues none of them', async () => {
    const body = JSON.stringify([event(1), { ...event(2), height: -1 }]);
    const response = await post(body, signWebhookBody(TEST_WEBHOOK_SECRET, body, nowSeconds));
    expect(response.body).toEqual({
      error: {
        code: 'VALIDATION_FAILED',
        message: 'ledger event /1/height must be >= 0',
        field: '/1/height',
        rule: 'minimum',
      },
    });
    expect(await queuedEvents()).toEqual([]);
  });
});
