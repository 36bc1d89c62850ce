import type { TokenCredential } from '@azure/core-auth';
import { ManagedIdentityCredential } from '@azure/identity';
import { diag, DiagLogLevel } from '@opentelemetry/api';
import type { TelemetryClient } from 'applicationinsights';

import { ensureError } from './errors';
import type { Log } from './json-log';

/** Custom dimensions of one telemetry item. Keep the set of values small: each combination is a series. */
export type TelemetryProperties = Readonly<Record<string, string | number | boolean>>;

/**
 * Application telemetry (custom events, metrics and exceptions) as both processes send it. No method throws
 * or rejects: a telemetry failure never breaks the caller.
 */
export interface Telemetry {
  /** Records a custom event (`customEvents`). */
  trackEvent(name: string, properties?: TelemetryProperties): void;
  /**
   * Records one measurement (`customMetrics`). The SDK aggregates measurements of a name and property set
   * into count, sum, min and max per export interval (60 s), so calling it per operation is fine. `name` is an
   * OpenTelemetry instrument name: a letter, then letters, digits, `_`, `.`, `-` or `/`.
   */
  trackMetric(name: string, value: number, properties?: TelemetryProperties): void;
  /** Records an exception with its stack (`exceptions`). */
  trackException(error: Error, properties?: TelemetryProperties): void;
  /** Sends what is buffered; resolves when done or after a bound. */
  flush(): Promise<void>;
  /** Flushes then releases timers so the process can exit. Idempotent. */
  shutdown(): Promise<void>;
}

const resolved = Promise.resolve();

/** Telemetry that records nothing: what {@link createTelemetry} returns without a connection string, and for tests. */
export const noopTelemetry: Telemetry = Object.freeze({
  trackEvent: (): void => undefined,
  trackMetric: (): void => undefined,
  trackException: (): void => undefined,
  flush: (): Promise<void> => resolved,
  shutdown: (): Promise<void> => resolved,
});

/** Options of {@link createTelemetry}. */
export interface TelemetryOptions {
  /** `APPLICATIONINSIGHTS_CONNECTION_STRING`; `undefined` turns telemetry off. A secret: it is never logged. */
  readonly connectionString: string | undefined;
  /**
   * `APPLICATIONINSIGHTS_AUTHENTICATION_STRING`: `Authorization=AAD` makes the exporter authenticate with a managed
   * identity (needed where the Application Insights resource has local authentication off), the user-assigned one
   * named by `ClientId=<client id>` if given, else the system-assigned one. Default: no authentication (the
   * instrumentation key alone).
   */
  readonly authenticationString?: string | undefined;
  /** Cloud role name that telemetry is filed under (`relay-worker`, `functions`). */
  readonly cloudRole: string;
  /** Cloud role instance; default: the host name. */
  readonly cloudRoleInstance?: string | undefined;
  /** Bound of {@link Telemetry.flush} and of each step of {@link Telemetry.shutdown}, in ms; default 5000. */
  readonly timeoutMs?: number;
  /** Certificates (PEM) trusted for the ingestion endpoint instead of the system's: a TLS-inspecting proxy's, or a test server's. */
  readonly ingestionCa?: string | undefined;
  /** Where the first telemetry failure is reported (once: later ones are dropped silently). */
  readonly log?: Log | undefined;
}

/**
 * Creates the process's telemetry: {@link noopTelemetry} when `connectionString` is undefined, else an Application
 * Insights client of its own (no global SDK setup, so nothing is collected automatically: no console, HTTP or
 * uncaught-exception capture, no live metrics, no offline retry cache on disk, and no SDK statistics: it sets
 * `APPLICATION_INSIGHTS_NO_STATSBEAT` unless set). The SDK (about 1 s to load) is loaded only then. Never throws: if
 * the client cannot be set up, the failure is logged and telemetry is off.
 */
export function createTelemetry(options: TelemetryOptions): Telemetry {
  const { connectionString } = options;
  if (connectionString === undefined) return noopTelemetry;
  const redact = redactor(connectionString);
  try {
    const credential =
      options.authenticationString === undefined ? undefined : managedIdentityFor(options.authenticationString);
    return new ApplicationInsightsTelemetry(options, connectionString, credential, redact);
  } catch (error: unknown) {
    options.log?.({
      level: 'warn',
      msg: 'telemetry could not be set up; it is off',
      error: redact(ensureError(error).message),
    });
    return noopTelemetry;
  }
}

/**
 * Reads an `APPLICATIONINSIGHTS_AUTHENTICATION_STRING` (`ClientId=<client id>;Authorization=AAD`, keys case-insensitive).
 *
 * @returns The user-assigned identity's client id, or `undefined` for the system-assigned identity.
 * @throws Error when it does not say `Authorization=AAD`, the only scheme there is.
 */
export function parseAuthenticationString(authenticationString: string): { readonly clientId: string | undefined } {
  const fields = new Map(
    authenticationString
      .split(';')
      .map((pair) => pair.split('=').map((part) => part.trim()))
      .filter((parts): parts is [string, string] => parts.length === 2)
      .map(([key, value]) => [key.toLowerCase(), value]),
  );
  if (fields.get('authorization')?.toUpperCase() !== 'AAD') {
    throw new Error('APPLICATIONINSIGHTS_AUTHENTICATION_STRING must contain Authorization=AAD');
  }
  return { clientId: fields.get('clientid') || undefined };
}

function managedIdentityFor(authenticationString: string): TokenCredential {
  const { clientId } = parseAuthenticationString(authenticationString);
  return clientId ? new ManagedIdentityCredential({ clientId }) : new ManagedIdentityCredential();
}

/** Replaces the connection string and its instrumentation key in `text`: SDK messages are logged only through this. */
function redactor(connectionString: string): (text: string) => string {
  const secrets = [connectionString, /InstrumentationKey=([^;]+)/i.exec(connectionString)?.[1]].filter(
    (secret): secret is string => !!secret,
  );
  return (text) => secrets.reduce((redacted, secret) => redacted.split(secret).join('[redacted]'), text);
}

/** Resolves when `promise` settles or after `ms`, whichever is first; never rejects. */
async function within(promise: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const bound = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, ms);
    timer.unref();
  });
  await Promise.race([promise.catch(() => undefined), bound]);
  clearTimeout(timer);
}

class ApplicationInsightsTelemetry implements Telemetry {
  private readonly client: TelemetryClient;
  private readonly timeoutMs: number;
  private readonly stopListening: () => void;
  private closed = false;
  private failureLogged = false;
  private shutdownPromise: Promise<void> | undefined;

  constructor(
    private readonly options: TelemetryOptions,
    connectionString: string,
    credential: TokenCredential | undefined,
    private readonly redact: (text: string) => string,
  ) {
    this.timeoutMs = options.timeoutMs ?? 5_000;
    // Loaded here, not on import: it takes about a second, and most processes and tests run without it.
    /* eslint-disable @typescript-eslint/no-require-imports -- loaded on first use, not on import (see above) */
    const { TelemetryClient } = require('applicationinsights') as typeof import('applicationinsights');
    const { resourceFromAttributes } = require('@opentelemetry/resources') as typeof import('@opentelemetry/resources');
    /* eslint-enable @typescript-eslint/no-require-imports -- end of the lazily loaded modules */
    // The exporter reads this switch from the environment only (monitor-opentelemetry-exporter export/base.js).
    // Left on, every process would also report SDK statistics to Microsoft's own endpoint, and a 15 s timer
    // of theirs would hold the process after shutdown.
    process.env['APPLICATION_INSIGHTS_NO_STATSBEAT'] ??= 'true';
    // useGlobalProviders: false gives the client providers of its own instead of the global distro setup that
    // instruments HTTP, console and uncaught exceptions (applicationinsights 3.15 shim/telemetryClient.js).
    this.client = new TelemetryClient(connectionString, { useGlobalProviders: false });
    this.client.config.azureMonitorOpenTelemetryOptions = {
      azureMonitorExporterOptions: {
        connectionString,
        credential,
        // Telemetry is not worth disk files and retry timers: what fails to send after the HTTP retries is dropped.
        disableOfflineStorage: true,
        ...(options.ingestionCa === undefined ? {} : { tlsOptions: { ca: options.ingestionCa } }),
      },
      resource: resourceFromAttributes({
        'service.name': options.cloudRole,
        ...(options.cloudRoleInstance === undefined ? {} : { 'service.instance.id': options.cloudRoleInstance }),
      }),
    };
    this.stopListening = listenToSdkErrors((message) => this.fail(message));
    // Sets up the exporters now rather than on the first track call; failures go to the SDK's own log (diag).
    this.client.initialize();
  }

  trackEvent(name: string, properties?: TelemetryProperties): void {
    if (this.closed) return;
    try {
      this.client.trackEvent({ name, properties });
    } catch (error: unknown) {
      // An SDK that failed to set itself up throws TypeError here (azure-functions.md §8).
      this.fail(ensureError(error).message);
    }
  }

  trackMetric(name: string, value: number, properties?: TelemetryProperties): void {
    if (this.closed) return;
    try {
      this.client.trackMetric({ name, value, properties });
    } catch (error: unknown) {
      this.fail(ensureError(error).message);
    }
  }

  trackException(exception: Error, properties?: TelemetryProperties): void {
    if (this.closed) return;
    try {
      this.client.trackException({ exception, properties });
    } catch (error: unknown) {
      this.fail(ensureError(error).message);
    }
  }

  flush(): Promise<void> {
    return this.shutdownPromise ?? within(this.client.flush(), this.timeoutMs);
  }

  shutdown(): Promise<void> {
    this.shutdownPromise ??= this.close();
    return this.shutdownPromise;
  }

  private async close(): Promise<void> {
    this.closed = true;
    await within(this.client.flush(), this.timeoutMs);
    // Stops the exporters' interval timers. (Their retry timers are unref'd; only an export still waiting on an
    // endpoint that does not answer can hold the process, until its HTTP retries give up.)
    await within(this.client.shutdown(), this.timeoutMs);
    this.stopListening();
  }

  private fail(message: string): void {
    if (this.failureLogged) return;
    this.failureLogged = true;
    this.options.log?.({
      level: 'warn',
      msg: 'telemetry failed; further telemetry failures are not logged',
      error: this.redact(message),
    });
  }
}

// The SDK reports export failures (an unreachable endpoint, a rejected token) only through OpenTelemetry's
// process-wide `diag` logger. One forwarder passes its errors to every live client.
const sdkErrorListeners = new Set<(message: string) => void>();

function listenToSdkErrors(listener: (message: string) => void): () => void {
  if (sdkErrorListeners.size === 0) {
    const ignore = (): void => undefined;
    const error = (...args: unknown[]): void => {
      const message = args
        .map((arg) => (arg instanceof Error ? arg.message : typeof arg === 'string' ? arg : ''))
        .join(' ');
      for (const each of sdkErrorListeners) each(message);
    };
    diag.setLogger(
      { error, warn: ignore, info: ignore, debug: ignore, verbose: ignore },
      { logLevel: DiagLogLevel.ERROR, suppressOverrideMessage: true },
    );
  }
  sdkErrorListeners.add(listener);
  return () => {
    sdkErrorListeners.delete(listener);
    if (sdkErrorListeners.size === 0) diag.disable();
  };
}
