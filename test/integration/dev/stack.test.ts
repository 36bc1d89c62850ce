import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';

import { LeasingApi } from '../../../dev/demo/api-client';
import { formatOutcomes } from '../../../dev/demo/report';
import { runScenario } from '../../../dev/demo/scenario';
import { PortInUseError, type RunningStack, type StackOptions, startStack } from '../../../dev/stack/stack';
import { generateKeyPair } from '../../../shared/transaction/signing';

const appRoot = join(__dirname, '../../..');
const anyPorts = { functions: 0, bigchainDb: 0, eventStream: 0, blob: 0, queue: 0, table: 0 };
const options = (overrides: Partial<StackOptions> = {}): StackOptions => ({
  appRoot,
  ports: anyPorts,
  appSettings: {
    LEASING_COMPANY_PRIVATE_KEY: generateKeyPair().privateKey,
    LEDGER_WEBHOOK_SECRET: randomBytes(32).toString('base64url'),
  },
  log: () => undefined,
  ...overrides,
});

// The app's modules load once per process (as in the worker), so one stack serves this whole file.
describe('the local stack', () => {
  let stack: RunningStack;
  beforeAll(async () => {
    stack = await startStack(options({ functionKey: 'the-stack-key' }));
  });
  afterAll(() => stack.close());

  it('runs the demo story: every lease gets its premium, with the factors behind it', async () => {
    const progress: string[] = [];
    const outcomes = await runScenario(
      new LeasingApi(stack.apiUrl, stack.functionKey),
      (message) => progress.push(message),
      30_000,
    );
    expect(outcomes.map(({ driver, status }) => [driver.split(' ')[0], status])).toEqual([
      ['Ana', 'quoted'],
      ['Ben', 'quoted'],
      ['Chloé', 'quoted'],
      ['Eve', 'referred'],
      ['Dan', 'quoted'],
    ]);
    expect(outcomes.every(({ annualPremium }) => annualPremium.amount > 0 && annualPremium.currency === 'EUR')).toBe(
      true,
    );
    expect(progress.at(-1)).toBe('premiums stored: 5 of 5');
    const table = formatOutcomes(outcomes).split('\n');
    expect(table[0]).toMatch(/^car +driver +premium \/ year +status +why +commit → premium$/);
    expect(table).toHaveLength(7);
  });

  it('enforces the function key it was given', async () => {
    expect(stack.functionKey).toBe('the-stack-key');
    const withoutKey = await fetch(`${stack.apiUrl}/drivers/${generateKeyPair().publicKey}`);
    expect(withoutKey.status).toBe(401);
    const withKey = await fetch(`${stack.apiUrl}/drivers/${generateKeyPair().publicKey}`, {
      headers: { 'x-functions-key': 'the-stack-key' },
    });
    expect(withKey.status).toBe(404);
  });
});

describe('a port that is taken', () => {
  let blocker: Server;
  let port: number;
  beforeAll(async () => {
    blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    port = (blocker.address() as { port: number }).port;
  });
  afterAll(() => new Promise<void>((resolve) => blocker.close(() => resolve())));

  it.each([
    ['functions', 'Functions host', '--port'],
    ['bigchainDb', 'BigchainDB dev node', '--bigchaindb-port or --stream-port'],
    ['queue', 'Azurite', '--blob-port, --queue-port or --table-port'],
  ] as const)(
    'for %s fails with an error naming the part and the flag, and leaves nothing running',
    async (part, name, flag) => {
      const attempt = startStack(options({ ports: { ...anyPorts, [part]: port } }));
      await expect(attempt).rejects.toThrow(PortInUseError);
      await expect(attempt).rejects.toThrow(
        `port ${port} (${name}) is already in use; stop what uses it or choose another port with ${flag}`,
      );
    },
  );
});
