import type { SignedTransaction } from '../../shared/leasing/car-transactions';
import { type E2eStack, runningStack, startE2eStack } from '../helpers/e2e-stack';
import {
  carRegistrations,
  commitAll,
  leasesOf,
  type LoadDriver,
  loadDrivers,
  postTransactions,
  postTransactionsRetrying,
  recordDrivers,
} from '../helpers/lease-load';
import { exactlyOnce } from '../helpers/premium-outcome';

// The full stack riding out its dependencies going away: the BigchainDB node killed and restarted, Azurite
// restarted on its data, and the insurer's drivers table taken away for a while. One stack serves the three in
// turn (each start costs seconds), so each scenario ends by checking every lease committed so far.

let stack: E2eStack | undefined;
let drivers: LoadDriver[];
/** Leases of cars registered before the relay started, taken by the scenarios in turn. */
let unposted: SignedTransaction[];
/** Every lease taken so far. */
const allLeases: string[] = [];

beforeAll(async () => {
  stack = await startE2eStack({ persistStorage: true, startRelay: false });
  drivers = loadDrivers(10);
  await recordDrivers(stack.services.drivers, drivers);
  const cars = carRegistrations(stack.company, 160);
  await commitAll(stack.node.apiUrl, cars);
  unposted = leasesOf(cars, drivers, stack.company);
  // The relay starts above the registrations: a CREATE asks nothing of the insurer, and these tests are about leases.
  await stack.startRelay({ RELAY_START_HEIGHT: String((await stack.newestHeight()) + 1) });
}, 60_000);

afterAll(async () => {
  await stack?.close();
}, 30_000);

/** The next `count` leases, not yet posted; their ids join {@link allLeases}. */
function newLeases(count: number): SignedTransaction[] {
  const leases = unposted.splice(0, count);
  allLeases.push(...leases.map(({ id }) => id));
  return leases;
}

const ids = (transactions: readonly SignedTransaction[]): string[] => transactions.map(({ id }) => id);
const failedInvocations = (from: number): string[] =>
  runningStack(stack)
    .hostLogs.slice(from)
    .filter(({ msg }) => msg.startsWith("Executed 'Functions.insurerPremium' (Failed"))
    .map(({ msg }) => msg);

/** Waits for every lease so far to be announced and every ledger event to be done, then reads the outcome. */
async function expectEveryPremiumOnce(): Promise<void> {
  await runningStack(stack).waitForAnnounced(allLeases);
  await runningStack(stack).waitForEmptyLedgerEvents();
  expect(await runningStack(stack).outcome(allLeases)).toEqual(exactlyOnce(allLeases));
}

test('the dev node killed mid-stream and restarted on its chain file and ports: every premium stored and announced exactly once', async () => {
  const leases = newLeases(60);
  const { relay } = runningStack(stack);
  if (!relay) throw new Error('the relay is not running');
  const logsBefore = relay.entries.length;
  let nodeBack: Promise<void> = Promise.resolve();
  let posted = 0;
  let killAfter: () => void = () => undefined;
  const halfPosted = new Promise<void>((resolve) => (killAfter = resolve));
  const onPosted = (): void => {
    if (++posted === 20) killAfter();
  };
  const posting = postTransactionsRetrying(runningStack(stack).node.apiUrl, leases, {
    concurrency: 4,
    nodeBack: () => nodeBack,
    onPosted,
  });
  await halfPosted;

  nodeBack = runningStack(stack).restartNode('SIGKILL');
  await nodeBack;
  const { retried } = await posting;

  await expectEveryPremiumOnce();
  // The relay lost its stream and came back with a backfill; the posts the kill cut off were made again.
  await relay.waitForLog(/^relay session failed; reconnecting$/, logsBefore);
  await relay.waitForLog(/^relaying live/, logsBefore);
  expect(retried).toBeGreaterThan(0);
}, 60_000);

test('Azurite stopped and started again on its data and ports while leases are committed: the relay and the host ride it out', async () => {
  const before = newLeases(20);
  await postTransactions(runningStack(stack).node.apiUrl, before, { concurrency: 4 });
  await runningStack(stack).waitForAnnounced(ids(before));
  await runningStack(stack).waitForEmptyLedgerEvents();

  // The leases are committed while storage is down: the relay cannot send, the host cannot poll, and both wait
  // out the storage SDK's retry delays. Azurite stops while the host holds no message: one it had just received
  // would stay invisible for the 10-minute processing lease (the real host's too), and this test would wait that long.
  const during = newLeases(50);
  await runningStack(stack).restartStorage(() =>
    postTransactions(runningStack(stack).node.apiUrl, during, { concurrency: 4 }),
  );

  // The premiums stored before the restart are still there, the ones after it too, each once.
  await expectEveryPremiumOnce();
}, 60_000);

test('the drivers table taken away for a while: invocations fail and are retried, then every premium is stored and announced exactly once', async () => {
  const leases = newLeases(30);
  const logsBefore = runningStack(stack).hostLogs.length;
  await runningStack(stack).services.drivers.deleteTable();
  await postTransactions(runningStack(stack).node.apiUrl, leases, { concurrency: 4 });
  await runningStack(stack).waitForHostLog(
    /^Executed 'Functions.insurerPremium' \(Failed, Id=[^)]+\): storage: read drivers\//,
    logsBefore,
  );

  await runningStack(stack).services.drivers.createTable();
  await recordDrivers(runningStack(stack).services.drivers, drivers);
  await expectEveryPremiumOnce();
  // Every failure was the missing table, read as a failure rather than as a driver the insurer does not know.
  const failures = failedInvocations(logsBefore);
  expect(failures.filter((msg) => !/\): storage: read drivers\/\w+\/history failed \(HTTP 404\): /.test(msg))).toEqual(
    [],
  );
}, 60_000);
