import { redrivePoison } from '../../relay-worker/operations';
import { BigchainDbClient } from '../../shared/bigchaindb-client';
import type { SignedTransaction } from '../../shared/leasing/car-transactions';
import { type E2eStack, runningStack, startE2eStack } from '../helpers/e2e-stack';
import {
  carRegistrations,
  commitAll,
  leasesOf,
  loadDrivers,
  postTransactions,
  recordDrivers,
} from '../helpers/lease-load';
import { depth, exactlyOnce } from '../helpers/premium-outcome';

// A fault that outlasts the retries: with `premium-changes` gone, every lease fails at its announcement until the
// host moves it to `ledger-events-poison` (maxDequeueCount 2 here, 10 in host.json). After the fix the operator
// re-drives the poison queue (`npm run relay -- redrive`), and each lease is announced once, from the premium
// stored before the failure.

let stack: E2eStack | undefined;

beforeAll(async () => {
  stack = await startE2eStack({ startRelay: false, queues: { maxDequeueCount: '2' } });
}, 60_000);

afterAll(async () => {
  await stack?.close();
}, 30_000);

const ids = (transactions: readonly SignedTransaction[]): string[] => transactions.map(({ id }) => id);

test('leases poisoned while premium-changes is gone are announced exactly once after it is back and the poison queue is re-driven', async () => {
  const { services, company } = runningStack(stack);
  const drivers = loadDrivers(6);
  await recordDrivers(services.drivers, drivers);
  const cars = carRegistrations(company, 30);
  await commitAll(runningStack(stack).node.apiUrl, cars);
  await runningStack(stack).startRelay({ RELAY_START_HEIGHT: String((await runningStack(stack).newestHeight()) + 1) });
  const [before, during] = [
    leasesOf(cars.slice(0, 10), drivers, company),
    leasesOf(cars.slice(10), drivers, company),
  ] as const;
  await postTransactions(runningStack(stack).node.apiUrl, before, { concurrency: 4 });
  await runningStack(stack).waitForAnnounced(ids(before));

  // Deleting the queue deletes what it holds: the consumer reads the first announcements first.
  await runningStack(stack).premiumChanges.drain();
  await services.premiumChanges.delete();
  const logsBefore = runningStack(stack).hostLogs.length;
  await postTransactions(runningStack(stack).node.apiUrl, during, { concurrency: 4 });
  const poisonedMoves = (): number =>
    runningStack(stack)
      .hostLogs.slice(logsBefore)
      .filter(({ msg }) => /^Message '[^']+' moved to queue 'ledger-events-poison'\.$/.test(msg)).length;
  await runningStack(stack).untilLogged(() => poisonedMoves() === during.length);
  expect(await depth(services.ledgerEventsPoison)).toBe(during.length);
  // Each premium was stored before its announcement failed, and is marked as not announced.
  const unannounced = [];
  for await (const row of services.premiums.listEntities<{ notified?: unknown }>({
    queryOptions: { filter: 'notified eq false' },
  }))
    unannounced.push(row.rowKey);
  expect(unannounced.sort()).toEqual(ids(during).sort());

  await services.premiumChanges.create();
  const moved = await redrivePoison({
    queue: services.ledgerEvents,
    poisonQueue: services.ledgerEventsPoison,
    container: services.checkpoints,
    bigchainDb: new BigchainDbClient({ apiUrl: runningStack(stack).node.apiUrl }),
  });
  expect(moved).toBe(during.length);

  const leaseIds = ids([...before, ...during]);
  await runningStack(stack).waitForAnnounced(leaseIds);
  await runningStack(stack).waitForEmptyLedgerEvents();
  expect(await runningStack(stack).outcome(leaseIds)).toEqual(exactlyOnce(leaseIds));
  // The re-driven deliveries found their premiums stored: none was priced twice.
  const kept = runningStack(stack).hostLogs.filter(({ msg }) =>
    /^premium of lease [0-9a-f]{64} was stored before \(duplicate delivery\): keeping it$/.test(msg),
  );
  expect(kept.length).toBeGreaterThanOrEqual(during.length);
}, 60_000);
