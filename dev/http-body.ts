import type { IncomingMessage } from 'node:http';

/**
 * The whole request body, or `undefined` once it is known to exceed `limit` bytes. The rest of an
 * oversized body is left unread, not destroyed, so that a 413 still reaches the client; Node
 * discards it after the response. Rejects when the client goes away mid-body.
 */
export function readBody(request: IncomingMessage, limit: number): Promise<Buffer | undefined> {
  if (Number(request.headers['content-length'] ?? 0) > limit) return Promise.resolve(undefined);
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size <= limit) {
        chunks.push(chunk);
        return;
      }
      request.off('data', onData);
      request.pause();
      resolve(undefined);
    };
    request.on('data', onData);
    request.once('end', () => resolve(Buffer.concat(chunks)));
    request.once('error', reject);
    request.once('close', () => {
      if (!request.complete) reject(new Error('the client closed the connection before sending the whole body'));
    });
  });
}
