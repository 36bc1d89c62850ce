import { createHmac, timingSafeEqual } from 'node:crypto';

import { SignatureError } from './http-errors';

/** The header carrying a webhook request's signature: `t=<unix seconds>,v1=<hex HMAC-SHA256>`. */
export const SIGNATURE_HEADER = 'x-ledger-signature';

/** How far a signature's timestamp may be from this server's clock, either way: 5 minutes. */
export const MAX_CLOCK_SKEW_SECONDS = 300;

/**
 * The signature of a body at a time: HMAC-SHA256 with the shared secret over `<t>.<body>`, where `t` is the Unix
 * time in seconds. Signing the timestamp with the body stops a captured request from being replayed later.
 */
export function signWebhookBody(secret: string, body: string, unixSeconds: number): string {
  const mac = createHmac('sha256', secret).update(`${unixSeconds}.`).update(body).digest('hex');
  return `t=${unixSeconds},v1=${mac}`;
}

/**
 * Checks a request's signature header against its raw body.
 *
 * @throws SignatureError when the header is missing or malformed, its time is more than
 * {@link MAX_CLOCK_SKEW_SECONDS} from `now`, or no `v1` signature matches.
 */
export function verifyWebhookSignature(secret: string, header: string | null, body: string, now: Date): void {
  if (header === null) throw new SignatureError(`missing ${SIGNATURE_HEADER} header`);
  const parts = header.split(',').map((part) => part.trim().split('=', 2) as [string, string | undefined]);
  const timestamp = parts.find(([key]) => key === 't')?.[1];
  const signatures = parts
    .filter(([key, value]) => key === 'v1' && value !== undefined)
    .map(([, value]) => value as string);
  if (timestamp === undefined || !/^\d{1,12}$/.test(timestamp) || signatures.length === 0) {
    throw new SignatureError(`${SIGNATURE_HEADER} must be "t=<unix seconds>,v1=<hex HMAC-SHA256 of '<t>.<body>'>"`);
  }
  const skewSeconds = Math.abs(now.getTime() / 1000 - Number(timestamp));
  if (skewSeconds > MAX_CLOCK_SKEW_SECONDS) {
    throw new SignatureError(
      `${SIGNATURE_HEADER} timestamp is ${Math.round(skewSeconds)} s from the server's clock (at most ${MAX_CLOCK_SKEW_SECONDS} s)`,
    );
  }
  const expected = Buffer.from(
    signWebhookBody(secret, body, Number(timestamp)).slice(`t=${timestamp},v1=`.length),
    'hex',
  );
  const matches = signatures.some((signature) => {
    const given = Buffer.from(signature, 'hex');
    return given.length === expected.length && timingSafeEqual(given, expected);
  });
  if (!matches) throw new SignatureError(`${SIGNATURE_HEADER} does not match the body`);
}
