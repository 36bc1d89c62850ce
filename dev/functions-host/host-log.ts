import type { Log, LogEntry } from '../../shared/json-log';

export { jsonLinesLog } from '../../shared/json-log';

/** One structured log entry of the local host. */
export type HostLogEntry = LogEntry;

/** Where the local host's log entries go. */
export type HostLog = Log;
