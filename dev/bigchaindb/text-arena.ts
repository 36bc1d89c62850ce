/** Where a text sits in a {@link TextArena}. */
export interface TextRef {
  readonly slab: number;
  readonly start: number;
  readonly end: number;
}

const SLAB_BYTES = 4 * 1024 * 1024;

/**
 * An append-only store of texts as UTF-8 in large buffers outside the JavaScript heap. Committed
 * transactions are most of the node's memory; kept as strings they also make the garbage-collected
 * heap grow to a multiple of their size, kept here they cost their bytes and no more.
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
    const start = this.used;
    this.used += (this.slabs[slab] as Buffer).write(text, start);
    return { slab, start, end: this.used };
  }

  read({ slab, start, end }: TextRef): string {
    return (this.slabs[slab] as Buffer).toString('utf8', start, end);
  }
}
