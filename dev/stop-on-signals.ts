/**
 * For the dev tools' command lines: on Ctrl-C (SIGINT) or SIGTERM, closes what runs and exits 0,
 * or 1 with the error when closing fails.
 */
export function stopOnSignals(close: () => Promise<void>): void {
  const stop = (): void => {
    close().then(
      () => process.exit(0),
      (error: unknown) => {
        process.stderr.write(`${String(error)}\n`);
        process.exit(1);
      },
    );
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}
