import { EventEmitter, once } from 'node:events';
import { setTimeout as delay } from 'node:timers/promises';

import type { Checkpointer } from '../../shared/checkpoint';

/** A checkpointer in memory that records the heights it was asked to write; each write takes `writeMs`. */
export class RecordingCheckpointer extends EventEmitter implements Checkpointer {
  readonly writes: number[] = [];
  #height: number | undefined;

  constructor(private readonly writeMs = 0) {
    super();
  }

  getHeight(): number | undefined {
    return this.#height;
  }

  async checkpointHeight(height: number): Promise<void> {
    this.writes.push(height);
    if (this.writeMs > 0) await delay(this.writeMs);
    this.#height = Math.max(height, this.#height ?? -1);
    this.emit('written', this.#height);
  }

  /** Resolves once the checkpoint is at `height`. */
  async reach(height: number): Promise<void> {
    while (this.#height !== height) await once(this, 'written');
  }
}
