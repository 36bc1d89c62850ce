import { setTimeout as delay } from 'node:timers/promises';

import { type E2eStack, runningStack, startE2eStack } from '../helpers/e2e-stack';
import {
  carRegistrations,
  commitAll,
  leasesOf,
  loadDrivers,
  postTransactions,
  recordDrivers,
} from '../helpers/lease-load';
import { exactlyOnce } from '../helpers/premium-outcome';

// The relay process killed without warning in the middle of 2,000 leases: no shutdown code runs and its leader
// lease is left to expire. Its successor backfills from the checkpoint, so the blocks above it are relayed again;
// the insurer function absorbs those duplicates, and every lease ends with one premium and one announcement.

const LEASES = 2_000;
let stack: E2eStack | undefined;

beforeAll(async () => {
  stack = await startE2eStack({ startRelay: false });
}, 60_000);

afterAll(async () => {
  await stack?.close();
}, 30_000);

test('after a SIGKILL of the relay in the middle of 2,000 leases and a restart, every lease has exactly one premium and one premium-changes message', async () => {
  const { services, company } = runningStack(stack);
  const drivers = loadDrivers(20);
  await recordDrivers(services.drivers, drivers);
  const cars = carRegistrations(company, LEASES);
  await commitAll(runningStack(stack).node.apiUrl, cars);
  // The relay starts above the registrations: a CREATE asks nothing of the insurer, and this test is about leases.
  const crashed = await runningStack(stack).startRelay({
    RELAY_START_HEIGHT: String((await runningStack(stack).newestHeight()) + 1),
  });
  await crashed.waitForLog(/^relaying live/);

  const leases = leasesOf(cars, drivers, company);
  const leaseIds = leases.map(({ id }) => id);
  const posting = postTransactions(runningStack(stack).node.apiUrl, leases, { concurrency: 16 });
  // Killed once 500 leases wait on the queue: the host works them off while the dead relay's lease expires.
  await waitForQueueLength(runningStack(stack), 500);
  expect(await crashed.stop('SIGKILL')).toEqual({ code: null, signal: 'SIGKILL' });
  await posting;

  const restarted = await runningStack(stack).startRelay();
  await restarted.waitForLog(/^relaying live/);
  await runningStack(stack).waitForAnnounced(leaseIds);
  await runningStack(stack).waitForEmptyLedgerEvents();
  expect(await restarted.stop('SIGTERM')).toEqual({ code: 0, signal: null });
  const stopped = await restarted.waitForLog(/^relay stopped$/);

  expect(await runningStack(stack).outcome(leaseIds)).toEqual(exactlyOnce(leaseIds));
  // The successor relayed the leases above the checkpoint again. Every successful delivery beyond a lease's first
  // found its premium stored and kept it (a failed try may also have, before a retry succeeded).
  expect(stopped['backfilled']).toBeGreaterThan(0);
  const succeeded = runningStack(stack).hostLogs.filter(({ msg }) =>
    msg.startsWith("Executed 'Functions.insurerPremium' (Succeeded"),
  ).length;
  const kept = runningStack(stack).hostLogs.filter(({ msg }) =>
    /^premium of lease [0-9a-f]{64} was stored before \(duplicate delivery\): keeping it$/.test(msg),
  );
  expect(kept.length).toBeGreaterThanOrEqual(succeeded - LEASES);
}, 240_000);

/**
 * Resolves once `ledger-events` holds at least `count` messages. The relay is another process and sends no event
 * this one could await, so it asks Azurite again 50 ms after each answer.
 */
async function waitForQueueLength({ services }: E2eStack, count: number): Promise<void> {
  while (((await services.ledgerEvents.getProperties()).approximateMessagesCount ?? 0) < count) await delay(50);
}
