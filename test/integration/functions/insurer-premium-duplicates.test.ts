import { randomUUID } from 'node:crypto';

import { InvocationContext } from '@azure/functions';
import type { QueueClient } from '@azure/storage-queue';

import { insurerPremium, type InsurerPremiumServices } from '../../../functions/insurer-premium';
import { UpstreamError } from '../../../shared/errors';
import type { LedgerEvent } from '../../../shared/ledger-event';
import { createPremiumStore } from '../../../shared/premium-store';
import { generateKeyPair } from '../../../shared/transaction/signing';
import { carAsset, leaseCar, leaseMetadata, registerCar } from '../../helpers/car-fixtures';
import { type AppFixture, startAppFixture } from '../../helpers/functions-app';
import { commitAndDescribe, drainPremiumChanges } from '../../helpers/insurer-harness';
import { randomVin } from '../../helpers/leasing-data';
import { RecordingTelemetry } from '../../helpers/recording-telemetry';

// Two deliveries of one lease event at the same moment (the relay re-sends the blocks above its checkpoint after
// a reconnect; the host may take the original and the copy in one batch). The one that finds the premium stored
// by the other, not yet announced, must not announce it too.

let app: AppFixture;

beforeAll(async () => {
  app = await startAppFixture();
});

beforeEach(async () => {
  await app.services.premiumChanges.clearMessages();
});

afterAll(() => app.close());

/** A car registered and leased, both committed; resolves with the lease's ledger event. */
async function leaseEvent(): Promise<LedgerEvent> {
  const car = registerCar(app.company, carAsset(randomVin()));
  await commitAndDescribe(app.services.bigchainDb, car);
  const lessee = generateKeyPair();
  return commitAndDescribe(app.services.bigchainDb, leaseCar(car, app.company, lessee, leaseMetadata(lessee)));
}

/** `premium-changes` whose sends wait until `open()` is called. */
function gatedQueue(queue: QueueClient): { queue: QueueClient; open: () => void; sending: Promise<void> } {
  let open: () => void = () => undefined;
  let started: () => void = () => undefined;
  const gate = new Promise<void>((resolve) => (open = resolve));
  const sending = new Promise<void>((resolve) => (started = resolve));
  const sendMessage = async (
    ...args: Parameters<QueueClient['sendMessage']>
  ): ReturnType<QueueClient['sendMessage']> => {
    started();
    await gate;
    return queue.sendMessage(...args);
  };
  const gated = new Proxy(queue, {
    get: (target, property) =>
      property === 'sendMessage' ? sendMessage : (Reflect.get(target, property, target) as unknown),
  });
  return { queue: gated, open, sending };
}

/** Runs the function as the host delivers a message for the `dequeueCount`th time. */
function deliver(services: InsurerPremiumServices, event: LedgerEvent, dequeueCount: number): Promise<void> {
  const context = new InvocationContext({
    invocationId: randomUUID(),
    functionName: 'insurerPremium',
    triggerMetadata: { dequeueCount },
    logHandler: () => undefined,
  });
  return insurerPremium(services)(event, context) as Promise<void>;
}

const services = (premiumChanges: QueueClient): InsurerPremiumServices => ({
  ...app.services,
  premiumChanges,
  telemetry: new RecordingTelemetry(),
});
const announced = async (): Promise<string[]> =>
  (await drainPremiumChanges(app.services.premiumChanges)).map(({ transactionId }) => transactionId);

test('a first delivery that finds the premium stored by another one still announcing fails, and its retry keeps the stored premium: one message', async () => {
  const event = await leaseEvent();
  const gated = gatedQueue(app.services.premiumChanges);
  const first = deliver(services(gated.queue), event, 1);
  await gated.sending;

  const copy = await deliver(services(app.services.premiumChanges), event, 1).catch((thrown: unknown) => thrown);
  expect(copy).toBeInstanceOf(UpstreamError);
  expect(copy).toMatchObject({
    status: 503,
    service: 'storage',
    message: `storage: premium of lease ${event.transaction_id} is stored but not yet announced, likely by another delivery of the same event right now`,
  });
  gated.open();
  await first;
  await deliver(services(app.services.premiumChanges), event, 2);

  expect(await announced()).toEqual([event.transaction_id]);
  await expect(createPremiumStore(app.services.premiums).listPremiums(event.asset_id)).resolves.toEqual([
    expect.objectContaining({ notified: true }),
  ]);
});

test('when the delivery that stored the premium never announces it, the retry of the other one does', async () => {
  const event = await leaseEvent();
  const stuck = gatedQueue(app.services.premiumChanges);
  void deliver(services(stuck.queue), event, 1);
  await stuck.sending;

  await expect(deliver(services(app.services.premiumChanges), event, 1)).rejects.toBeInstanceOf(UpstreamError);
  await deliver(services(app.services.premiumChanges), event, 2);

  expect(await announced()).toEqual([event.transaction_id]);
});
