import { spawn } from 'node:child_process';
import { EventEmitter } from 'node:events';

import type { LogEntry } from '../../shared/json-log';

/** How the process ended. */
export interface WebJobExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

/** A WebJob's `node run.js` process, its JSON-lines log parsed. */
export interface WebJobProcess {
  readonly exited: Promise<WebJobExit>;
  /** Everything written to stdout and stderr so far. */
  output(): string;
  /** Resolves with the first log entry whose `msg` matches; rejects, with the output, if the process exits first. */
  waitForLog(pattern: RegExp): Promise<LogEntry>;
  /** Sends `signal` and resolves once the process has exited. */
  stop(signal: NodeJS.Signals): Promise<WebJobExit>;
}

/**
 * Runs `node run.js` in `jobFolder` the way App Service starts a continuous WebJob: that folder as the working
 * directory and the app settings as the environment (exactly `env`, plus `PATH`).
 */
export function startWebJob(jobFolder: string, env: Readonly<Record<string, string>>): WebJobProcess {
  const child = spawn(process.execPath, ['run.js'], {
    cwd: jobFolder,
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
    for (const line of lines) if (line.startsWith('{')) entries.push(JSON.parse(line) as LogEntry);
    events.emit('change');
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => chunks.push(chunk));
  const exited = new Promise<WebJobExit>((resolve) =>
    child.once('exit', (code, signal) => {
      hasExited = true;
      events.emit('change');
      resolve({ code, signal });
    }),
  );
  const output = (): string => chunks.join('');
  return {
    exited,
    output,
    waitForLog: (pattern) =>
      new Promise((resolve, reject) => {
        const check = (): void => {
          const found = entries.find(({ msg }) => pattern.test(msg));
          if (found === undefined && !hasExited) return;
          events.off('change', check);
          if (found === undefined)
            reject(new Error(`the WebJob exited before logging ${String(pattern)}:\n${output()}`));
          else resolve(found);
        };
        events.on('change', check);
        check();
      }),
    stop: async (signal) => {
      if (!hasExited) child.kill(signal);
      return exited;
    },
  };
}
