import type {
  HttpFunctionOptions,
  HttpHandler,
  HttpRequest,
  HttpResponseInit,
  InvocationContext,
} from '@azure/functions';
import { RestError } from '@azure/storage-queue';

import { BlobCheckpointStore } from '../shared/blob-checkpoint-store';
import { findNewestHeight } from '../shared/block-heights';
import { ensureError } from '../shared/errors';
import { LEDGER_EVENTS_QUEUE } from '../shared/storage-names';
import type { Services } from './services';

/** `GET /api/health`, anonymous so that load balancers and uptime probes can call it. */
export const healthOptions = {
  methods: ['GET'],
  route: 'health',
  authLevel: 'anonymous',
} as const satisfies Omit<HttpFunctionOptions, 'handler'>;

/** How long each dependency may take to answer the health check, in milliseconds. */
export const HEALTH_CHECK_TIMEOUT_MS = 5_000;

type Check<T> = ({ readonly ok: true } & T) | { readonly ok: false; readonly error: string };

/** The health report. `status` is `ok` when BigchainDB and storage answer; the relay's figures are informational. */
export interface HealthReport {
  readonly status: 'ok' | 'unavailable';
  readonly bigchainDb: Check<{ readonly version: string }>;
  readonly storage: Check<{ readonly ledgerEventsDepth: number; readonly poisonDepth: number }>;
  readonly relay: Check<{
    /** Highest block whose every transaction is on the queue; null before the relay's first checkpoint. */
    readonly checkpointHeight: number | null;
    readonly newestHeight: number | null;
    /** Blocks between the newest one and the checkpoint. */
    readonly lag: number | null;
  }>;
}

/**
 * Reports whether BigchainDB and storage are reachable and how far the relay is behind: 200 when both
 * dependencies answer, else 503. Never needs a key and never shows a setting.
 */
export function health(
  services: Pick<Services, 'bigchainDb' | 'ledgerEvents' | 'ledgerEventsPoison' | 'checkpoints'>,
): HttpHandler {
  return async function health(_request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
    const signal = AbortSignal.timeout(HEALTH_CHECK_TIMEOUT_MS);
    const [bigchainDb, storage, checkpoint] = await Promise.all([
      check(async () => ({ version: (await services.bigchainDb.getInfo(signal)).version })),
      check(async () => ({
        ledgerEventsDepth:
          (await services.ledgerEvents.getProperties({ abortSignal: signal })).approximateMessagesCount ?? 0,
        poisonDepth: await depthOrZero(services.ledgerEventsPoison, signal),
      })),
      check(async () => ({
        height:
          (
            await new BlobCheckpointStore({
              container: services.checkpoints,
              blobName: `${LEDGER_EVENTS_QUEUE}/checkpoint.json`,
            }).read(signal)
          )?.height ?? null,
      })),
    ]);
    const relay = checkpoint.ok
      ? await check(async () => {
          const newestHeight = await findNewestHeight(services.bigchainDb, checkpoint.height ?? 0, signal);
          return {
            checkpointHeight: checkpoint.height,
            newestHeight,
            lag: newestHeight === null ? null : newestHeight - (checkpoint.height ?? 0),
          };
        })
      : checkpoint;
    const report: HealthReport = {
      status: bigchainDb.ok && storage.ok ? 'ok' : 'unavailable',
      bigchainDb,
      storage,
      relay,
    };
    if (report.status !== 'ok') context.warn('health check failed', JSON.stringify(report));
    return { status: report.status === 'ok' ? 200 : 503, jsonBody: report, headers: { 'Cache-Control': 'no-store' } };
  };
}

async function check<T extends object>(probe: () => Promise<T>): Promise<Check<T>> {
  try {
    return { ok: true, ...(await probe()) };
  } catch (error: unknown) {
    return { ok: false, error: ensureError(error).message };
  }
}

// The host creates the poison queue on the first poison message; until then it has no messages.
async function depthOrZero(queue: Services['ledgerEventsPoison'], signal: AbortSignal): Promise<number> {
  try {
    return (await queue.getProperties({ abortSignal: signal })).approximateMessagesCount ?? 0;
  } catch (error: unknown) {
    if (error instanceof RestError && error.statusCode === 404) return 0;
    throw error;
  }
}
