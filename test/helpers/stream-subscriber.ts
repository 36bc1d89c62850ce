import { once } from 'node:events';

import WebSocket from 'ws';

/** A frame of the Event Stream, parsed. */
export interface StreamEvent {
  readonly height: number;
  readonly asset_id: string;
  readonly transaction_id: string;
}

/** A WebSocket subscriber of the dev node's Event Stream that records every frame. */
export interface StreamSubscriber {
  readonly frames: readonly string[];
  /** Resolves with the event of `transactionId` once it has arrived (at once if it already has). */
  waitFor(transactionId: string): Promise<StreamEvent>;
  close(): Promise<void>;
}

/** Connects to `streamUrl` and resolves once the socket is open. */
export async function subscribe(streamUrl: string): Promise<StreamSubscriber> {
  const socket = new WebSocket(streamUrl);
  const frames: string[] = [];
  const waiters = new Map<string, (event: StreamEvent) => void>();
  const events = new Map<string, StreamEvent>();
  // With ws's default binaryType ('nodebuffer') a message arrives as one Buffer.
  socket.on('message', (data) => {
    const frame = (data as Buffer).toString();
    frames.push(frame);
    const event = JSON.parse(frame) as StreamEvent;
    events.set(event.transaction_id, event);
    waiters.get(event.transaction_id)?.(event);
  });
  await once(socket, 'open');
  return {
    frames,
    waitFor: (transactionId) =>
      new Promise((resolve) => {
        const seen = events.get(transactionId);
        if (seen) resolve(seen);
        else waiters.set(transactionId, resolve);
      }),
    async close() {
      if (socket.readyState === WebSocket.CLOSED) return;
      socket.close();
      await once(socket, 'close');
    },
  };
}
