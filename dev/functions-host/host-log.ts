/** One structured log entry of the local host. */
export type HostLogEntry = { readonly level: 'debug' | 'info' | 'warn' | 'error'; readonly msg: string } & Record<string, unknown>;

/** Where the local host's log entries go. */
export type HostLog = (entry: HostLogEntry) => void;

/** Writes entries as JSON lines with a timestamp, the format `npm run host` prints. */
export function jsonLinesLog(write: (line: string) => void, minimumLevel: HostLogEntry['level'] = 'info'): HostLog {
  const order = ['debug', 'info', 'warn', 'error'];
  const minimum = order.indexOf(minimumLevel);
  return (entry) => {
    if (order.indexOf(entry.level) >= minimum) write(`${JSON.stringify({ time: new Date().toISOString(), ...entry })}\n`);
  };
}
