/** One structured log entry. */
export type LogEntry = { readonly level: 'debug' | 'info' | 'warn' | 'error'; readonly msg: string } & Record<
  string,
  unknown
>;

/** Where structured log entries go. */
export type Log = (entry: LogEntry) => void;

const LEVELS = ['debug', 'info', 'warn', 'error'] as const;

// Keys whose values are never written, at any depth (pino-style redaction by path).
const SECRET_KEY = /(connectionstring|accountkey|privatekey|password|secret|authorization|token|sig)$/i;

function redact(value: unknown, depth = 0): unknown {
  if (value instanceof Error)
    return { name: value.name, message: value.message, code: (value as { code?: unknown }).code };
  if (value === null || typeof value !== 'object' || depth > 8) return value;
  if (Array.isArray(value)) return value.map((item) => redact(item, depth + 1));
  return Object.fromEntries(
    Object.entries(value).map(([key, item]) => [key, SECRET_KEY.test(key) ? '[redacted]' : redact(item, depth + 1)]),
  );
}

/**
 * Writes entries as JSON lines with a timestamp, dropping those below `minimumLevel`. Values of
 * secret-looking keys (connection strings, keys, tokens) are replaced by `[redacted]`; errors are
 * written as name, message and code.
 */
export function jsonLinesLog(write: (line: string) => void, minimumLevel: LogEntry['level'] = 'info'): Log {
  const minimum = LEVELS.indexOf(minimumLevel);
  return (entry) => {
    if (LEVELS.indexOf(entry.level) < minimum) return;
    write(`${JSON.stringify({ time: new Date().toISOString(), ...(redact(entry) as object) })}\n`);
  };
}
