import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

// The relay under test: the compiled worker (dist/, as the WebJob runs it; tsx would add its own
// memory) in its own process, so that its memory is its own. RSS is read from /proc from outside;
// the V8 heap comes from memory-probe.cjs over IPC.

const repoRoot = join(__dirname, '../..');
const MAIN = join(repoRoot, 'dist/relay-worker/main.js');
const MB = 1024 * 1024;

/** One reading of the relay's memory, in MB. */
export interface MemorySample {
  readonly seconds: number;
  /** Messages the relay had put on its queue by then (the caller's `progress()`). */
  readonly events: number;
  readonly rssMb: number;
  readonly heapUsedMb: number;
  readonly heapTotalMb: number;
  readonly externalMb: number;
}

/** A running relay process. */
export interface RelayProcess {
  readonly pid: number;
  /** Resolves once the relay holds the leader lease (it then starts relaying at once). */
  readonly leader: Promise<void>;
  /** Memory readings, one a second. */
  readonly samples: readonly MemorySample[];
  /** Peak RSS of the process so far (VmHWM), in MB. */
  peakRssMb(): number;
  /** SIGTERM; resolves with the exit code once it has exited. */
  stop(): Promise<number | null>;
}

/** Starts the compiled relay with `env` as its whole environment (plus PATH); `progress()` labels the memory samples. */
export function startRelay(env: Readonly<Record<string, string>>, progress: () => number): RelayProcess {
  if (!existsSync(MAIN)) throw new Error(`${MAIN} is missing: run npm run build first`);
  const child: ChildProcess = spawn(process.execPath, ['--require', join(__dirname, 'memory-probe.cjs'), MAIN], {
    cwd: repoRoot,
    env: { PATH: process.env['PATH'], ...env },
    stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
  });
  const pid = child.pid as number;
  let output = '';
  const leader = new Promise<void>((resolve, reject) => {
    child.stdout?.on('data', (chunk: Buffer) => {
      // Only the start is kept; a long run logs little else, but nothing after the lease is needed.
      if (output.length < 100_000) output += chunk.toString();
      if (output.includes('leader lease acquired')) resolve();
    });
    child.once('exit', () => reject(new Error(`the relay exited before becoming leader:\n${output}`)));
  });
  leader.catch(() => undefined);

  let heap = { heapUsed: 0, heapTotal: 0, external: 0 };
  child.on('message', (message: { memoryUsage?: typeof heap }) => (heap = message.memoryUsage ?? heap));
  const samples: MemorySample[] = [];
  const started = performance.now();
  const timer = setInterval(() => {
    const rssMb = statusMb(pid, 'VmRSS');
    if (rssMb === undefined) return;
    const mb = (bytes: number): number => Math.round(bytes / MB);
    const seconds = Math.round((performance.now() - started) / 1000);
    samples.push({ seconds, events: progress(), rssMb, heapUsedMb: mb(heap.heapUsed), heapTotalMb: mb(heap.heapTotal), externalMb: mb(heap.external) });
  }, 1_000);

  return {
    pid,
    leader,
    samples,
    peakRssMb: () => statusMb(pid, 'VmHWM') ?? 0,
    async stop() {
      clearInterval(timer);
      if (child.exitCode !== null) return child.exitCode;
      const exited = once(child, 'exit') as Promise<[number | null]>;
      child.kill('SIGTERM');
      return (await exited)[0];
    },
  };
}

function statusMb(pid: number, field: 'VmRSS' | 'VmHWM'): number | undefined {
  try {
    const match = new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Math.round(Number(match[1]) / 1024) : undefined;
  } catch {
    return undefined;
  }
}
