import type { Telemetry, TelemetryProperties } from '../../shared/telemetry';

/** One call a {@link RecordingTelemetry} received. */
export type TelemetryRecord =
  | { readonly kind: 'event'; readonly name: string; readonly properties: TelemetryProperties | undefined }
  | {
      readonly kind: 'metric';
      readonly name: string;
      readonly value: number;
      readonly properties: TelemetryProperties | undefined;
    }
  | { readonly kind: 'exception'; readonly error: Error; readonly properties: TelemetryProperties | undefined };

/** A {@link Telemetry} that keeps every call in order, for tests of what a component reports. */
export class RecordingTelemetry implements Telemetry {
  readonly records: TelemetryRecord[] = [];
  shutdowns = 0;

  trackEvent(name: string, properties?: TelemetryProperties): void {
    this.records.push({ kind: 'event', name, properties });
  }

  trackMetric(name: string, value: number, properties?: TelemetryProperties): void {
    this.records.push({ kind: 'metric', name, value, properties });
  }

  trackException(error: Error, properties?: TelemetryProperties): void {
    this.records.push({ kind: 'exception', error, properties });
  }

  flush(): Promise<void> {
    return Promise.resolve();
  }

  shutdown(): Promise<void> {
    this.shutdowns++;
    return Promise.resolve();
  }

  /** The measurements of metric `name`, in order, with their properties. */
  metric(name: string): { value: number; properties: TelemetryProperties | undefined }[] {
    return this.records.flatMap((record) =>
      record.kind === 'metric' && record.name === name ? [{ value: record.value, properties: record.properties }] : [],
    );
  }

  /** The sum of metric `name`'s measurements, by the value of property `by` (`''` for measurements without it). */
  sumBy(name: string, by: string): Record<string, number> {
    const sums: Record<string, number> = {};
    for (const { value, properties } of this.metric(name)) {
      const key = String(properties?.[by] ?? '');
      sums[key] = (sums[key] ?? 0) + value;
    }
    return sums;
  }

  /** The properties of each event `name`, in order. */
  events(name: string): (TelemetryProperties | undefined)[] {
    return this.records.flatMap((record) =>
      record.kind === 'event' && record.name === name ? [record.properties] : [],
    );
  }
}
