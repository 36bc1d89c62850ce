import type { Server } from 'node:http';

/**
 * Starts `server` listening and resolves once it does; rejects with the listen error (for example
 * `EADDRINUSE`) instead of leaving it to an `error` event nobody handles.
 */
export function listen(server: Server, host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}
