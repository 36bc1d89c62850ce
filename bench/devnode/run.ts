import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

import { Transaction } from 'bigchaindb-driver';

import { generateKeyPair, type KeyPair, signTransaction } from '../../shared/transaction/signing';

// Dev node throughput: pre-signed CREATEs, then a TRANSFER of each, posted in commit mode with
// `concurrency` requests in flight, against a dev node in its own process (so its RSS is its own),
// keeping its chain in a file (the default of `npm run devnode`) or, with `--storage memory`, in memory.

const { values } = parseArgs({
  options: {
    count: { type: 'string', default: '20000' },
    concurrency: { type: 'string', default: '64' },
    storage: { type: 'string', default: 'file' },
  },
});
if (values.storage !== 'file' && values.storage !== 'memory') throw new Error('--storage must be "file" or "memory"');
const pairs = Number(values.count) / 2;
const concurrency = Number(values.concurrency);

function presign(company: KeyPair, lessees: KeyPair[]): { creates: string[]; transfers: string[] } {
  const creates: string[] = [];
  const transfers: string[] = [];
  for (let i = 0; i < pairs; i++) {
    const asset = {
      vin: `WVWZZZ1KZAW${String(i).padStart(6, '0')}`,
      make: 'Volkswagen',
      model: 'Golf',
      year: 2024,
      plant: 'Wolfsburg',
    };
    const output = Transaction.makeOutput(Transaction.makeEd25519Condition(company.publicKey));
    const create = signTransaction(
      Transaction.makeCreateTransaction(asset, { registered: i }, [output], company.publicKey),
      [company],
    );
    const lessee = lessees[i % lessees.length] as KeyPair;
    const transfer = signTransaction(
      Transaction.makeTransferTransaction(
        [{ tx: create, output_index: 0 }],
        [Transaction.makeOutput(Transaction.makeEd25519Condition(lessee.publicKey))],
        { lease: i },
      ),
      [company],
    );
    creates.push(JSON.stringify(create));
    transfers.push(JSON.stringify(transfer));
  }
  return { creates, transfers };
}

async function startNode(dataDir: string): Promise<{ child: ChildProcess; apiUrl: string }> {
  const storage = values.storage === 'memory' ? ['--memory'] : ['--data', dataDir];
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', 'dev/bigchaindb/cli.ts', ...storage, '--port', '0', '--ws-port', '0'],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  let output = '';
  for await (const chunk of child.stdout as AsyncIterable<Buffer>) {
    output += chunk.toString();
    const match = /API (http:\/\/\S+)/.exec(output);
    if (match?.[1]) return { child, apiUrl: match[1] };
  }
  throw new Error(`dev node exited before starting: ${output}`);
}

function post(agent: Agent, url: URL, body: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const req = request(url, { method: 'POST', agent, headers: { 'Content-Type': 'application/json' } }, (res) => {
      res.resume();
      res.on('end', () =>
        res.statusCode === 202
          ? resolve(performance.now() - started)
          : reject(new Error(`HTTP ${String(res.statusCode)}`)),
      );
    });
    req.on('error', reject);
    req.end(body);
  });
}

async function postAll(apiUrl: string, bodies: string[]): Promise<{ seconds: number; latencies: number[] }> {
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  const url = new URL(`${apiUrl}transactions?mode=commit`);
  const latencies: number[] = [];
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < bodies.length) latencies.push(await post(agent, url, bodies[next++] as string));
    }),
  );
  agent.destroy();
  return { seconds: (performance.now() - started) / 1000, latencies };
}

function percentile(sorted: number[], p: number): number {
  return Number((sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0).toFixed(2));
}

function memoryMb(pid: number, field: 'VmHWM' | 'VmRSS'): number {
  const match = new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Math.round(Number(match?.[1] ?? 0) / 1024);
}

async function main(): Promise<void> {
  const company = generateKeyPair();
  const lessees = Array.from({ length: 100 }, generateKeyPair);
  const signStarted = performance.now();
  const { creates, transfers } = presign(company, lessees);
  const signSeconds = (performance.now() - signStarted) / 1000;

  const dataDir = mkdtempSync(join(tmpdir(), 'devnode-bench-'));
  const { child, apiUrl } = await startNode(dataDir);
  try {
    const create = await postAll(apiUrl, creates);
    const transfer = await postAll(apiUrl, transfers);
    const latencies = [...create.latencies, ...transfer.latencies].sort((a, b) => a - b);
    const total = creates.length + transfers.length;
    const pid = child.pid as number;
    console.log(
      JSON.stringify(
        {
          benchmark: 'devnode',
          node: process.version,
          transactions: total,
          concurrency,
          mode: 'commit',
          storage: values.storage,
          committedPerSecond: {
            create: Math.round(creates.length / create.seconds),
            transfer: Math.round(transfers.length / transfer.seconds),
            overall: Math.round(total / (create.seconds + transfer.seconds)),
          },
          latencyMs: { p50: percentile(latencies, 50), p99: percentile(latencies, 99) },
          nodeRssMb: { peak: memoryMb(pid, 'VmHWM'), end: memoryMb(pid, 'VmRSS') },
          clientSigningPerSecond: Math.round(total / signSeconds),
          reference: 'BigchainDB 2.0 (BEP-23): 298 tx/s default, about 1,100 tx/s peak, on four 32-core nodes',
        },
        null,
        2,
      ),
    );
  } finally {
    child.kill('SIGTERM');
    await once(child, 'exit');
    rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
