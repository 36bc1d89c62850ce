import { argumentError, messageError, MISSING_ARGUMENT, type NodeResponse } from './http-responses';

/**
 * Query-string arguments parsed the way the node's flask-restful `reqparse` parses them: the first
 * failing argument, in declaration order, answers 400 with `{"message": {"<name>": "<reason>"}}`.
 */

/** Thrown by the parsers below; carries the response the node gives. */
export class ArgumentRejectedError extends Error {
  override readonly name = 'ArgumentRejectedError';
  constructor(readonly response: NodeResponse) {
    super(response.body);
  }
}

/** Converts one raw value, throwing an `Error` whose message is the node's reason. */
export type ArgumentConverter<T> = (raw: string) => T;

/** An optional argument: `undefined` when absent. */
export function optionalArgument<T>(
  query: URLSearchParams,
  name: string,
  convert: ArgumentConverter<T>,
): T | undefined {
  const raw = query.get(name);
  if (raw === null) return undefined;
  try {
    return convert(raw);
  } catch (error) {
    throw new ArgumentRejectedError(argumentError(name, error instanceof Error ? error.message : String(error)));
  }
}

/** A required argument. */
export function requiredArgument<T>(query: URLSearchParams, name: string, convert: ArgumentConverter<T>): T {
  if (!query.has(name)) throw new ArgumentRejectedError(argumentError(name, MISSING_ARGUMENT));
  return optionalArgument(query, name, convert) as T;
}

/** `parse_args(strict=True)`: arguments nobody declared are an error, named in query order. */
export function rejectUnknownArguments(query: URLSearchParams, known: readonly string[]): void {
  const unknown = [...new Set(query.keys())].filter((name) => !known.includes(name));
  if (unknown.length > 0)
    throw new ArgumentRejectedError(messageError(400, `Unknown arguments: ${unknown.join(', ')}`));
}

// The converters of bigchaindb/web/views/parameters.py, with their messages.

export const asString: ArgumentConverter<string> = (raw) => raw;

export const validTransactionId: ArgumentConverter<string> = (raw) => {
  if (!/^[a-fA-F0-9]{64}$/.test(raw)) throw new Error('Invalid hash');
  return raw.toLowerCase();
};

export const validOperation: ArgumentConverter<'CREATE' | 'TRANSFER'> = (raw) => {
  const operation = raw.toUpperCase();
  if (operation !== 'CREATE' && operation !== 'TRANSFER') throw new Error('Operation must be "CREATE" or "TRANSFER"');
  return operation;
};

export const validBoolean: ArgumentConverter<boolean> = (raw) => {
  const value = raw.toLowerCase();
  if (value !== 'true' && value !== 'false') throw new Error('Boolean value must be "true" or "false" (lowercase)');
  return value === 'true';
};

export const validEd25519Key: ArgumentConverter<string> = (raw) => {
  if (!/^[1-9a-zA-Z]{43,44}$/.test(raw) || /[Il0O]/.test(raw)) throw new Error('Invalid base58 ed25519 key');
  return raw;
};

/** The submission modes, named after Tendermint's broadcast calls. */
export type SubmissionMode = 'async' | 'sync' | 'commit';

export const validMode: ArgumentConverter<SubmissionMode> = (raw) => {
  if (raw !== 'async' && raw !== 'sync' && raw !== 'commit')
    throw new Error('Mode must be "async", "sync" or "commit"');
  return raw;
};

/** Python's `int()` on a string, with its message. */
export const pythonInt: ArgumentConverter<number> = (raw) => {
  if (!/^\s*[+-]?\d+\s*$/.test(raw)) throw new Error(`invalid literal for int() with base 10: '${raw}'`);
  return Number.parseInt(raw, 10);
};
