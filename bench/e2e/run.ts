import { cpus, loadavg, totalmem } from 'node:os';
import { parseArgs } from 'node:util';

import { QueueServiceClient } from '@azure/storage-queue';

import { type E2eStack, startE2eStack } from '../../test/helpers/e2e-stack';
import { carRegistrations, commitAll, leasesOf, loadDrivers, recordDrivers } from '../../test/helpers/lease-load';
import { type LoadReading, measureCores, measureLoad } from '../relay/machine-load';
import { rawDrain, runSustained } from './drain';
import { round, runOfferedLoad } from './offered-load';

// End-to-end benchmark on the full local stack, composed as the end-to-end tests compose it
// (test/helpers/e2e-stack.ts): Azurite, the dev node and the relay each in their own process, the Functions
// app in the local host in this one. Three phases, one JSON document:
//
// 1. Offered load: --rate leases a second for --warm-up seconds (reported apart), then without a pause for
//    --seconds, each committed (commit-mode POST) on a car registered beforehand; latency from the commit answer to
//    the bench receiving the lease's premium-changes message.
// 2. Sustained processing: the host stopped, --preload leases committed and relayed onto ledger-events; then the
//    host is started and timed until the last premium is announced.
// 3. Azurite's raw receive-and-delete rate at the same queue depth and the host's concurrency, and the ratio.

const USAGE = `Usage: npm run bench:e2e -- [--rate <leases/s>] [--seconds <s>] [--warm-up <s>] [--preload <leases>]`;

const { values } = parseArgs({
  options: {
    rate: { type: 'string', default: '50' },
    seconds: { type: 'string', default: '20' },
    'warm-up': { type: 'string', default: '10' },
    preload: { type: 'string', default: '2000' },
    help: { type: 'boolean', short: 'h' },
  },
});
if (values.help) {
  process.stdout.write(`${USAGE}\n`);
  process.exit(0);
}
const rate = positive('--rate', values.rate);
const seconds = positive('--seconds', values.seconds);
const warmUpSeconds = positive('--warm-up', values['warm-up'], { zero: true });
const preload = positive('--preload', values.preload);

function positive(flag: string, raw: string, { zero = false } = {}): number {
  const value = Number(raw);
  if (!Number.isFinite(value) || value < 0 || (value === 0 && !zero))
    throw new Error(`${flag} must be a ${zero ? 'non-negative' : 'positive'} number, got "${raw}"\n${USAGE}`);
  return value;
}

/**
 * Measures the machine's load during `phase`, counting this bench's child processes as its own, and the cores each
 * part of the stack used (`functionsHost` is this process: the host, the bench's load and its premium-changes reader).
 */
async function withLoad<T>(
  stack: E2eStack,
  phase: () => Promise<T>,
): Promise<T & { machine: LoadReading & { cores: Record<string, number> } }> {
  const parts = {
    azurite: stack.storage.child.pid,
    bigchaindb: stack.node.child.pid,
    relay: stack.relay?.child.pid,
  };
  const pids = Object.fromEntries(
    Object.entries(parts).filter((entry): entry is [string, number] => entry[1] !== undefined),
  );
  const end = measureLoad(() => Object.values(pids));
  const endCores = measureCores(pids);
  const result = await phase();
  const { self, ...children } = endCores();
  return { ...result, machine: { ...end(), cores: { functionsHost: self ?? 0, ...children } } };
}

async function main(): Promise<void> {
  const loadavgAtStart = loadavg().map((value) => Number(value.toFixed(2)));
  // The host polls as host.json says (maxPollingInterval 1 s), not as fast as the tests make it.
  const stack = await startE2eStack({ startRelay: false, hostJsonQueues: true });
  try {
    const drivers = loadDrivers(20);
    await recordDrivers(stack.services.drivers, drivers);
    const warmUpCount = Math.round(rate * warmUpSeconds);
    const offeredCount = warmUpCount + Math.round(rate * seconds);
    const cars = carRegistrations(stack.company, offeredCount + preload);
    await commitAll(stack.node.apiUrl, cars);
    // The relay starts above the registrations, so that only leases reach the insurer.
    const relay = await stack.startRelay({ RELAY_START_HEIGHT: String((await stack.newestHeight()) + 1) });
    await relay.waitForLog(/^relaying live/);
    const leases = leasesOf(cars, drivers, stack.company);

    const offered = await withLoad(stack, () =>
      runOfferedLoad(
        stack,
        { warmUp: leases.slice(0, warmUpCount), measured: leases.slice(warmUpCount, offeredCount) },
        rate,
        60_000,
      ),
    );
    const sustained = await withLoad(stack, () => runSustained(stack, leases.slice(offeredCount)));
    const raw = await withLoad(stack, () =>
      rawDrain(QueueServiceClient.fromConnectionString(stack.storage.connectionString), preload),
    );
    const ratio = round((sustained.premiumsPerSecond / raw.perSecond) * 100) / 100;
    const report = {
      benchmark: 'e2e',
      date: new Date().toISOString(),
      machine: {
        cpus: cpus().length,
        memoryGb: Math.round(totalmem() / 2 ** 30),
        node: process.version,
        loadavgAtStart,
        loadavgAtEnd: loadavg().map((v) => Number(v.toFixed(2))),
      },
      offeredLoad: {
        ...offered,
        latencyFrom: 'the commit-mode POST of the lease answered 202',
        latencyTo: "the bench received the lease's premium-changes message",
        target: { p99BelowMs: 1000, met: offered.missing === 0 && offered.commitToAnnouncementMs.p99 < 1000 },
      },
      sustained,
      azuriteRawDrain: {
        ...raw,
        pattern:
          'receive 16, delete each, receive again at 8 or fewer in flight (host.json batchSize 16, newBatchThreshold 8)',
      },
      sustainedToRawRatio: { ratio, target: 0.8, met: ratio >= 0.8 },
    };
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  } finally {
    await stack.close();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(
    `bench:e2e failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exitCode = 1;
});
