// Validation of Event Stream text frames (spec §7), apart from the socket that receives them.

/** One Event Stream frame, validated. */
export interface StreamEvent {
  readonly height: number;
  readonly assetId: string;
  readonly transactionId: string;
}

const EVENT_KEYS: readonly string[] = ['height', 'asset_id', 'transaction_id'];
const HEX_64 = /^[0-9a-f]{64}$/;

/** The event in `text`, or why it is not one (spec §7: exactly these three keys, an int and two 64-hex ids). */
export function parseFrame(text: string): StreamEvent | string {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return 'not JSON';
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'not a JSON object';
  const record = value as Record<string, unknown>;
  const extra = Object.keys(record).find((key) => !EVENT_KEYS.includes(key));
  if (extra !== undefined) return `unexpected key ${JSON.stringify(extra)}`;
  const missing = EVENT_KEYS.find((key) => !Object.hasOwn(record, key));
  if (missing !== undefined) return `missing key "${missing}"`;
  return checkFields(record);
}

function checkFields({
  height,
  asset_id: assetId,
  transaction_id: transactionId,
}: Record<string, unknown>): StreamEvent | string {
  if (typeof height !== 'number' || !Number.isSafeInteger(height) || height < 0)
    return '"height" is not an integer ≥ 0';
  if (typeof assetId !== 'string' || !HEX_64.test(assetId)) return '"asset_id" is not 64 lowercase hex digits';
  if (typeof transactionId !== 'string' || !HEX_64.test(transactionId)) {
    return '"transaction_id" is not 64 lowercase hex digits';
  }
  return { height, assetId, transactionId };
}
