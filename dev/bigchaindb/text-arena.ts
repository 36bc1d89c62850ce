import type { TextRef } from './block-log';

const SLAB_BYTES = 4 * 1024 * 1024;
// A position packs (slab, offset) into one number: offsets stay below 2^32.
const SLAB_STRIDE = 2 ** 32;

/**
 * An append-only store of texts as UTF-8 in large buffers outside the JavaScript heap. Committed
 * transactions are most of an in-memory node's memory; kept as strings they also make the
 * garbage-collected heap grow to a multiple of their size, kept here they cost their bytes.
 */
export class TextArena {
  private readonly slabs: Buffer[] = [];
  private used = SLAB_BYTES;

  add(text: string): TextRef {
    const length = Buffer.byteLength(text);
    if (this.used + length > SLAB_BYTES) {
      this.slabs.push(Buffer.allocUnsafeSlow(Math.max(SLAB_BYTES, length)));
      this.used = 0;
    }
    const slab = this.slabs.length - 1;
    const position = slab * SLAB_STRIDE + this.used;
    this.used += (this.slabs[slab] as Buffer).write(text, this.used);
    return { position, length };
  }

  read({ position, length }: TextRef): string {
    const offset = position % SLAB_STRIDE;
    return (this.slabs[Math.floor(position / SLAB_STRIDE)] as Buffer).toString('utf8', offset, offset + length);
  }
}
