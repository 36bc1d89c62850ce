import type { LeaseOutcome } from './scenario';

/** The demo's result as a plain-text table: car, driver, premium, the factors behind it, and the latency. */
export function formatOutcomes(outcomes: readonly LeaseOutcome[]): string {
  const header = ['car', 'driver', 'premium / year', 'status', 'why', 'commit → premium'];
  const rows = outcomes.map(({ car, driver, annualPremium, status, factors, latencyMs }) => [
    car,
    driver,
    `${annualPremium.amount.toFixed(2)} ${annualPremium.currency}`,
    status,
    [
      `base ${factors.baseRate.toFixed(0)}`,
      `driver ×${factors.driverFactor.toFixed(2)}`,
      factors.yearsLicensed === null
        ? 'no history'
        : `${factors.yearsLicensed} y licensed, ${factors.atFaultAccidents5y ?? 0} acc, ${factors.claims5y ?? 0} claims, ${factors.violations5y ?? 0} viol`,
      `mileage ×${factors.mileageFactor}`,
      ...(factors.unknownDriverSurcharge > 0 ? [`+${factors.unknownDriverSurcharge * 100}% unknown driver`] : []),
    ].join('; '),
    `${latencyMs} ms`,
  ]);
  const widths = header.map((title, column) =>
    Math.max(title.length, ...rows.map((row) => (row[column] ?? '').length)),
  );
  const line = (cells: readonly string[]): string =>
    cells
      .map((cell, column) => cell.padEnd(widths[column] ?? 0))
      .join('  ')
      .trimEnd();
  return [line(header), line(widths.map((width) => '-'.repeat(width))), ...rows.map(line)].join('\n');
}
