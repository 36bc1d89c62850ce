import { type ChildProcess, spawn } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { join } from 'node:path';

import type { LogEntry } from '../../shared/json-log';

const repoRoot = join(__dirname, '../..');

/** Options of {@link spawnRelay}. */
export interface SpawnRelayOptions {
  /** Called with each line the relay writes to stdout or stderr (the stack prints them). */
  readonly onLine?: (line: string) => void;
}

/** How a child process ended. */
export interface Exit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

/** The relay worker running as its own process (as the WebJob runs it), with its JSON-lines log parsed. */
export interface RelayProcess {
  readonly child: ChildProcess;
  /** Every log entry (JSON line) written to stdout so far, in order. */
  readonly entries: readonly LogEntry[];
  /** Resolves once the process has exited. */
  readonly exited: Promise<Exit>;
  /** Whether the process has exited. */
  readonly hasExited: boolean;
  /** Everything written to stdout and stderr so far, for failure messages. */
  output(): string;
  /**
   * Resolves with the first entry from index `from` on (default 0) whose `msg` matches `pattern`, at once if one
   * was already written; rejects, with the output, when the process exits first.
   */
  waitForLog(pattern: RegExp, from?: number): Promise<LogEntry>;
  /** Sends `signal` (unless the process has exited) and resolves once it has exited. */
  stop(signal: NodeJS.Signals): Promise<Exit>;
}

/**
 * Starts `relay-worker/main.ts` (through tsx) with exactly `env` (plus `PATH`) as its environment; resolves at once
 * (use {@link RelayProcess.waitForLog} to wait for it to start).
 */
export function spawnRelay(env: Readonly<Record<string, string>>, options: SpawnRelayOptions = {}): RelayProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', 'relay-worker/main.ts'], {
    cwd: repoRoot,
    env: { PATH: process.env['PATH'], ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const entries: LogEntry[] = [];
  const chunks: string[] = [];
  const events = new EventEmitter();
  let partial = '';
  let hasExited = false;
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    chunks.push(chunk);
    const lines = (partial + chunk).split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) {
      options.onLine?.(line);
      // Only JSON lines are log entries; anything else stays in output() alone.
      if (!line.startsWith('{')) continue;
      entries.push(JSON.parse(line) as LogEntry);
      events.emit('entry');
    }
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    chunks.push(chunk);
    for (const line of chunk.split('\n')) if (line !== '') options.onLine?.(line);
  });
  const exited = new Promise<Exit>((resolve) =>
    child.once('exit', (code, signal) => {
      hasExited = true;
      events.emit('entry');
      resolve({ code, signal });
    }),
  );
  const output = (): string => chunks.join('');

  return {
    child,
    entries,
    exited,
    get hasExited() {
      return hasExited;
    },
    output,
    waitForLog(pattern, from = 0) {
      return new Promise((resolve, reject) => {
        const check = (): void => {
          const found = entries.slice(from).find(({ msg }) => pattern.test(msg));
          if (found === undefined && !hasExited) return;
          events.off('entry', check);
          if (found === undefined)
            reject(new Error(`the relay exited before logging ${String(pattern)}:\n${output()}`));
          else resolve(found);
        };
        events.on('entry', check);
        check();
      });
    },
    async stop(signal) {
      if (!hasExited) child.kill(signal);
      return exited;
    },
  };
}
