import { type ChildProcess, spawn } from 'node:child_process';
import { EventEmitter } from 'node:events';

import type { Exit } from './relay-process';

/** Options of {@link spawnLogged}. */
export interface SpawnLoggedOptions {
  /** Working directory. */
  readonly cwd: string;
  /** The whole environment of the child (`PATH` is added). */
  readonly env?: Readonly<Record<string, string>>;
  /** Called with each line the child writes to stdout or stderr. */
  readonly onLine?: (line: string) => void;
}

/** A Node.js child process whose output is kept line by line. */
export interface LoggedProcess {
  readonly child: ChildProcess;
  /** Resolves once the process has exited. */
  readonly exited: Promise<Exit>;
  /** Everything written to stdout and stderr so far, for failure messages. */
  readonly output: () => string;
  /**
   * Resolves with the first non-undefined result of `read` over the stdout lines, written or to come; rejects, with
   * the output, when the process exits first.
   */
  waitForLine<T>(read: (line: string) => T | undefined): Promise<T>;
  /** Sends `signal` (unless the process has exited) and resolves once it has exited. */
  readonly stop: (signal: NodeJS.Signals) => Promise<Exit>;
}

/** Runs `node <args>` (say `['--import', 'tsx', 'dev/bigchaindb/cli.ts', …]`) and keeps its output. */
export function spawnLogged(args: readonly string[], options: SpawnLoggedOptions): LoggedProcess {
  const child = spawn(process.execPath, [...args], {
    cwd: options.cwd,
    env: { PATH: process.env['PATH'], ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  const chunks: string[] = [];
  const events = new EventEmitter();
  events.setMaxListeners(0);
  let partial = '';
  let exit: Exit | undefined;
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    chunks.push(chunk);
    const complete = (partial + chunk).split('\n');
    partial = complete.pop() ?? '';
    for (const line of complete) {
      options.onLine?.(line);
      lines.push(line);
    }
    events.emit('change');
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    chunks.push(chunk);
    for (const line of chunk.split('\n')) if (line !== '') options.onLine?.(line);
  });
  const exited = new Promise<Exit>((resolve) =>
    child.once('exit', (code, signal) => {
      exit = { code, signal };
      events.emit('change');
      resolve(exit);
    }),
  );
  const output = (): string => chunks.join('');
  return {
    child,
    exited,
    output,
    waitForLine(read) {
      return new Promise((resolve, reject) => {
        let next = 0;
        const check = (): void => {
          for (; next < lines.length; next++) {
            const result = read(lines[next] as string);
            if (result === undefined) continue;
            events.off('change', check);
            resolve(result);
            return;
          }
          if (exit === undefined) return;
          events.off('change', check);
          reject(
            new Error(
              `the process exited (code ${String(exit.code)}, signal ${String(exit.signal)}) first:\n${output()}`,
            ),
          );
        };
        events.on('change', check);
        check();
      });
    },
    stop: async (signal) => {
      if (exit === undefined) child.kill(signal);
      return exited;
    },
  };
}
