import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

import { RelayLog } from './relay-log';

// The relay under test: the compiled worker (dist/, as the WebJob runs it; tsx would add its own
// memory) in its own process, so that its memory is its own. RSS is read from /proc from outside;
// the V8 heap comes from memory-probe.cjs over IPC.

const repoRoot = join(__dirname, '../..');

/**
 * What runs: `dist`, the compiled worker (`npm run build`), or `package`, the WebJob exactly as deployed: run.js beside
 * the one-file bundle (`npm run package`).
 */
export type RelayEntry = 'dist' | 'package';

const ENTRIES: Readonly<Record<RelayEntry, { readonly script: string; readonly build: string }>> = {
  dist: { script: join(repoRoot, 'dist/relay-worker/main.js'), build: 'npm run build' },
  package: {
    script: join(repoRoot, 'dist/package/relay-webjob/App_Data/jobs/continuous/relay/run.js'),
    build: 'npm run package',
  },
};
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

/**
 * The Node options the relay runs with in Azure (`NODE_OPTIONS` in infra/app/relay.bicep; a unit test keeps the two
 * equal), the benchmark's default. Without a heap limit V8 lets the heap grow to about 125 MB around a live heap of
 * 25 to 35 MB; with any limit (64 to 192 MB measured) it keeps it near 65 MB, and the process under 150 MB.
 */
export const DEPLOYED_NODE_OPTIONS = '--max-old-space-size=192';

/** A running relay process. */
export interface RelayProcess {
  readonly pid: number;
  /** Resolves, with the time (performance.now()), once the relay holds the leader lease (it then starts relaying at once). */
  readonly leader: Promise<number>;
  readonly log: RelayLog;
  /** Memory readings, one a second. */
  readonly samples: readonly MemorySample[];
  /** Peak RSS of the process so far (VmHWM), in MB. */
  peakRssMb(): number;
  /** SIGTERM; resolves with the exit code once it has exited. */
  stop(): Promise<number | null>;
}

/** How to start the relay. */
export interface RelayLaunch {
  readonly entry: RelayEntry;
  /** Its whole environment (plus PATH): its settings. */
  readonly env: Readonly<Record<string, string>>;
  /** Node.js options before the script (V8 flags to compare); none by default, as App Service runs run.js. */
  readonly nodeArgs: readonly string[];
}

/** Starts the relay; `progress()` labels the memory samples. */
export function startRelay({ entry, env, nodeArgs }: RelayLaunch, progress: () => number): RelayProcess {
  const { script, build } = ENTRIES[entry];
  if (!existsSync(script)) throw new Error(`${script} is missing: run ${build} first`);
  const child: ChildProcess = spawn(
    process.execPath,
    [...nodeArgs, '--require', join(__dirname, 'memory-probe.cjs'), script],
    {
      cwd: repoRoot,
      env: { PATH: process.env['PATH'], ...env },
      stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
    },
  );
  const pid = child.pid as number;
  const log = new RelayLog();
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => log.write(chunk));
  child.once('exit', () => log.end());
  const leader = log.when('leader lease acquired');
  leader.catch(() => undefined);

  let heap = { heapUsed: 0, heapTotal: 0, external: 0 };
  child.on('message', (message: { memoryUsage?: typeof heap }) => (heap = message.memoryUsage ?? heap));
  const samples: MemorySample[] = [];
  const started = performance.now();
  const timer = setInterval(() => {
    const rssMb = statusMb(pid, 'VmRSS');
    // Not before the process is up and its first heap report has come.
    if (rssMb === undefined || heap.heapTotal === 0) return;
    const mb = (bytes: number): number => Math.round(bytes / MB);
    const seconds = Math.round((performance.now() - started) / 1000);
    samples.push({
      seconds,
      events: progress(),
      rssMb,
      heapUsedMb: mb(heap.heapUsed),
      heapTotalMb: mb(heap.heapTotal),
      externalMb: mb(heap.external),
    });
  }, 1_000);

  return {
    pid,
    leader,
    log,
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
