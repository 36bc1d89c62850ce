import { EventEmitter } from 'node:events';

import type { HostLogEntry } from '../../dev/functions-host/host-log';

/** Records a local host's log entries and lets a test await one. */
export interface HostLogRecorder {
  /** Every entry so far, in order. */
  readonly entries: readonly HostLogEntry[];
  /** Pass as the host's `log` option. */
  readonly log: (entry: HostLogEntry) => void;
  /** Resolves with the first entry, written or to come, whose message matches. */
  readonly logged: (pattern: RegExp) => Promise<HostLogEntry>;
}

/** A new, empty recorder. */
export function recordHostLog(): HostLogRecorder {
  const entries: HostLogEntry[] = [];
  const events = new EventEmitter();
  return {
    entries,
    log: (entry) => {
      entries.push(entry);
      events.emit('entry', entry);
    },
    logged: (pattern) => {
      const seen = entries.find(({ msg }) => pattern.test(msg));
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve) => {
        const listener = (entry: HostLogEntry): void => {
          if (!pattern.test(entry.msg)) return;
          events.off('entry', listener);
          resolve(entry);
        };
        events.on('entry', listener);
      });
    },
  };
}
