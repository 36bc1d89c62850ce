import * as fs from 'node:fs';
import * as path from 'node:path';
import * as zlib from 'node:zlib';

/** First line of every block log; a different version is refused rather than misread. */
export const BLOCK_LOG_HEADER = 'bigchaindb-devnode-block-log v1';

const HEADER_LINE = Buffer.from(`${BLOCK_LOG_HEADER}\n`, 'utf8');
const NEWLINE = 0x0a;
// Reading 1 MiB at a time keeps peak memory near the decoded blocks alone; readFileSync would add the whole file.
const READ_CHUNK_BYTES = 1 << 20;

/** A block as the dev node committed it; each transaction is its compact JSON text, kept byte-for-byte. */
export interface CommittedBlock {
  readonly height: number;
  readonly transactions: readonly string[];
}

/** Where a transaction's text is in the file: the byte range of its JSON string literal. */
export interface TextRef {
  readonly position: number;
  readonly length: number;
}

/** A block read back from the log, with where each of its transactions is. */
export interface StoredBlock extends CommittedBlock {
  readonly refs: readonly TextRef[];
}

/** Options for {@link openBlockLog}. */
export interface BlockLogOptions {
  /**
   * fsync after each append so blocks also survive power loss or an OS crash. Default false: the dev node only needs to
   * survive its own process being killed, which the OS page cache already covers, and a flush per block would cap
   * commits at the disk's flush rate.
   */
  readonly fsync?: boolean;
}

/** An open block log, positioned for appends. */
export interface BlockLog {
  /**
   * Appends one block with a single synchronous write, so the bytes are in the OS page cache when it returns and
   * survive a crash of this process. Throws {@link BlockLogAppendError} if the log is closed or the block is invalid;
   * a failed write rethrows the file-system error after cutting off any partial record.
   */
  append(block: CommittedBlock): TextRef[];
  /** Reads back one transaction's text from where {@link append} or {@link openBlockLog} said it is. */
  read(ref: TextRef): string;
  /** Closes the file; further appends throw. Idempotent. */
  close(): void;
  readonly filePath: string;
}

/** What {@link openBlockLog} found: the log, every intact block in order, and the torn tail it discarded. */
export interface BlockLogOpenResult {
  readonly log: BlockLog;
  readonly blocks: StoredBlock[];
  /** Bytes of an unfinished write at the end of the file that were truncated away (0 when the file was clean). */
  readonly droppedTornBytes: number;
}

/** Why a record was refused; stable for callers that branch on it. */
export type BlockLogCorruptReason =
  'unknown-header' | 'bad-frame' | 'bad-crc' | 'bad-json' | 'bad-shape' | 'height-not-increasing';

/** The log holds a record that cannot come from a crashed append, so loading stops rather than losing blocks. */
export class BlockLogCorruptError extends Error {
  override readonly name = 'BlockLogCorruptError';
  readonly code = 'DEVNODE_BLOCK_LOG_CORRUPT';
  readonly filePath: string;
  /** Byte offset of the start of the offending line. */
  readonly offset: number;
  readonly reason: BlockLogCorruptReason;

  constructor(props: Pick<BlockLogCorruptError, 'filePath' | 'offset' | 'reason'> & { readonly detail: string }) {
    super(`block log ${props.filePath} is corrupt at byte ${props.offset}: ${props.reason} (${props.detail})`);
    this.filePath = props.filePath;
    this.offset = props.offset;
    this.reason = props.reason;
  }
}

/** An append was refused before anything was written. */
export class BlockLogAppendError extends Error {
  override readonly name = 'BlockLogAppendError';
  readonly code = 'DEVNODE_BLOCK_LOG_BAD_APPEND';
  readonly filePath: string;
  readonly height: unknown;
  readonly reason: 'closed' | 'invalid-block' | 'height-not-increasing';

  constructor(props: Pick<BlockLogAppendError, 'filePath' | 'height' | 'reason'>) {
    super(`cannot append block ${String(props.height)} to ${props.filePath}: ${props.reason}`);
    this.filePath = props.filePath;
    this.height = props.height;
    this.reason = props.reason;
  }
}

/**
 * Opens (creating if missing, including parent directories) the log at `filePath`, reads every intact block, and
 * returns the log positioned for appends. An unfinished last record (no newline, or a failing checksum) is a crashed
 * append: it is truncated away and counted in `droppedTornBytes`. Throws {@link BlockLogCorruptError} for an unknown
 * header, a bad record followed by more data, or a checksummed record that is malformed or out of height order;
 * file-system errors (e.g. EACCES) propagate unchanged. One writer per file: there is no lock.
 */
export function openBlockLog(filePath: string, options: BlockLogOptions = {}): BlockLogOpenResult {
  if (typeof zlib.crc32 !== 'function') throw new Error('block log needs zlib.crc32 (Node >= 20.15)');
  fs.mkdirSync(path.dirname(filePath), { recursive: true });
  const fd = fs.openSync(filePath, 'a+');
  try {
    const { blocks, goodEnd, fileEnd } = scan(fd, filePath);
    if (goodEnd < fileEnd) fs.ftruncateSync(fd, goodEnd);
    if (goodEnd === 0) writeFully(fd, HEADER_LINE);
    if (options.fsync === true) fs.fsyncSync(fd);
    const end = goodEnd === 0 ? HEADER_LINE.length : goodEnd;
    const log = new BlockLogImpl(filePath, fd, end, lastHeight(blocks), options.fsync === true);
    return { log, blocks, droppedTornBytes: fileEnd - goodEnd };
  } catch (err: unknown) {
    fs.closeSync(fd);
    throw err;
  }
}

class BlockLogImpl implements BlockLog {
  constructor(
    readonly filePath: string,
    private fd: number | undefined,
    private end: number,
    private lastHeight: number,
    private readonly fsync: boolean,
  ) {}

  append(block: CommittedBlock): TextRef[] {
    const fd = this.fd;
    const refuse = (reason: BlockLogAppendError['reason']): BlockLogAppendError =>
      new BlockLogAppendError({ filePath: this.filePath, height: block.height, reason });
    if (fd === undefined) throw refuse('closed');
    if (!isBlock(block)) throw refuse('invalid-block');
    if (block.height <= this.lastHeight) throw refuse('height-not-increasing');
    const { record, literals } = encode(block);
    try {
      writeFully(fd, record);
      if (this.fsync) fs.fsyncSync(fd);
    } catch (err: unknown) {
      // A half-written record followed by later appends would read as mid-file corruption; cut it off, and if even
      // that fails, stop appending so the next open sees it as a torn tail.
      try {
        fs.ftruncateSync(fd, this.end);
      } catch {
        this.close();
      }
      throw err;
    }
    const refs = literals.map(({ position, length }) => ({ position: this.end + position, length }));
    this.end += record.length;
    this.lastHeight = block.height;
    return refs;
  }

  read({ position, length }: TextRef): string {
    if (this.fd === undefined) throw new Error(`block log ${this.filePath} is closed`);
    const literal = Buffer.allocUnsafe(length);
    fs.readSync(this.fd, literal, 0, length, position);
    return JSON.parse(literal.toString('utf8')) as string;
  }

  close(): void {
    if (this.fd !== undefined) fs.closeSync(this.fd);
    this.fd = undefined;
  }
}

/** Encodes one block as `<crc32 of json, 8 lowercase hex> <json>\n`; exported for tests and tools. */
export function encodeRecord(block: CommittedBlock): Buffer {
  return encode(block).record;
}

/**
 * The record, and where in it each transaction's JSON string literal is, so that a transaction can
 * be read back alone. Transactions are stored as JSON strings, not embedded objects, so reading them
 * back never re-serialises them.
 */
function encode(block: CommittedBlock): { record: Buffer; literals: TextRef[] } {
  const head = Buffer.from(`{"height":${block.height},"transactions":[`, 'utf8');
  const literals: TextRef[] = [];
  const parts: Buffer[] = [head];
  let position = RECORD_PREFIX_BYTES + head.length;
  block.transactions.forEach((transaction, index) => {
    if (index > 0) {
      parts.push(COMMA);
      position += 1;
    }
    const literal = Buffer.from(JSON.stringify(transaction), 'utf8');
    literals.push({ position, length: literal.length });
    parts.push(literal);
    position += literal.length;
  });
  parts.push(TAIL);
  const json = Buffer.concat(parts);
  const prefix = Buffer.from(`${toHex(zlib.crc32(json))} `, 'latin1');
  return { record: Buffer.concat([prefix, json, Buffer.of(NEWLINE)]), literals };
}

const RECORD_PREFIX_BYTES = 9; // 8 hex digits and a space
const COMMA = Buffer.from(',');
const TAIL = Buffer.from(']}');

function lastHeight(blocks: readonly CommittedBlock[]): number {
  return blocks.at(-1)?.height ?? -1;
}

function toHex(crc: number): string {
  return crc.toString(16).padStart(8, '0');
}

function isBlock(value: unknown): value is CommittedBlock {
  if (typeof value !== 'object' || value === null) return false;
  const { height, transactions } = value as Record<string, unknown>;
  return (
    Number.isSafeInteger(height) &&
    (height as number) >= 0 &&
    Array.isArray(transactions) &&
    transactions.every((tx: unknown) => typeof tx === 'string')
  );
}

function writeFully(fd: number, bytes: Buffer): void {
  // writeSync may write less than asked (e.g. on a full disk); 'a' mode keeps every piece at the end of the file.
  for (let done = 0; done < bytes.length;) done += fs.writeSync(fd, bytes, done);
}

/** A decoded line: a block, nothing (the header), or why it was refused. */
type Decoded = { readonly block?: StoredBlock } | { readonly reason: BlockLogCorruptReason; readonly detail: string };

function decodeRecord(line: Buffer, offset: number, previousHeight: number): Decoded {
  const hex = line.toString('latin1', 0, 8);
  if (line.length < 10 || line[8] !== 0x20 || !/^[0-9a-f]{8}$/.test(hex)) {
    return { reason: 'bad-frame', detail: 'expected "<crc32 hex> <json>"' };
  }
  const json = line.subarray(9);
  const actual = zlib.crc32(json);
  if (actual !== parseInt(hex, 16)) return { reason: 'bad-crc', detail: `stored ${hex}, computed ${toHex(actual)}` };
  let value: unknown;
  try {
    value = JSON.parse(json.toString('utf8'));
  } catch (err: unknown) {
    return { reason: 'bad-json', detail: err instanceof Error ? err.message : String(err) };
  }
  if (!isBlock(value)) return { reason: 'bad-shape', detail: 'want {height: integer >= 0, transactions: string[]}' };
  if (value.height <= previousHeight) {
    return { reason: 'height-not-increasing', detail: `height ${value.height} after ${previousHeight}` };
  }
  const block = { height: value.height, transactions: value.transactions };
  const { record, literals } = encode(block);
  // Every record this module writes re-encodes to itself; anything else cannot be read back by position.
  if (record.length !== line.length + 1)
    return { reason: 'bad-shape', detail: 'record is not in the canonical encoding' };
  return {
    block: { ...block, refs: literals.map(({ position, length }) => ({ position: offset + position, length })) },
  };
}

interface Line {
  readonly offset: number;
  readonly bytes: Buffer;
  readonly terminated: boolean;
}

function* readLines(fd: number): Generator<Line> {
  // One reused buffer: a chunk's unfinished last line moves to the front and the next read fills in behind it.
  let buffer = Buffer.allocUnsafe(READ_CHUNK_BYTES);
  let filled = 0;
  let bufferOffset = 0;
  for (;;) {
    if (filled === buffer.length) buffer = Buffer.concat([buffer], buffer.length * 2); // a line longer than the buffer
    const read = fs.readSync(fd, buffer, filled, buffer.length - filled, bufferOffset + filled);
    if (read === 0) break;
    const data = buffer.subarray(0, filled + read);
    let from = 0;
    // The carried-over bytes hold no newline, so the search starts at the fresh ones.
    for (let nl = data.indexOf(NEWLINE, filled); nl !== -1; nl = data.indexOf(NEWLINE, from)) {
      yield { offset: bufferOffset + from, bytes: data.subarray(from, nl), terminated: true };
      from = nl + 1;
    }
    data.copyWithin(0, from);
    bufferOffset += from;
    filled = data.length - from;
  }
  if (filled > 0) yield { offset: bufferOffset, bytes: buffer.subarray(0, filled), terminated: false };
}

interface Scan {
  readonly blocks: StoredBlock[];
  readonly goodEnd: number;
  readonly fileEnd: number;
}

function scan(fd: number, filePath: string): Scan {
  const blocks: StoredBlock[] = [];
  let goodEnd = 0;
  let fileEnd = 0;
  // A bad line is only forgiven if nothing follows it: a crashed append can tear the last record, never an earlier one.
  let pending: BlockLogCorruptError | undefined;
  for (const line of readLines(fd)) {
    if (pending !== undefined) throw pending;
    // A record counts once its newline is written; an unterminated last line is an append that never returned.
    if (!line.terminated) {
      fileEnd = line.offset + line.bytes.length;
      break;
    }
    fileEnd = line.offset + line.bytes.length + 1;
    const decoded =
      line.offset === 0 ? checkHeader(line.bytes) : decodeRecord(line.bytes, line.offset, lastHeight(blocks));
    if ('reason' in decoded) {
      pending = new BlockLogCorruptError({ filePath, offset: line.offset, ...decoded });
      if (isChecksummed(decoded.reason)) throw pending;
      continue;
    }
    if (decoded.block !== undefined) blocks.push(decoded.block);
    goodEnd = fileEnd;
  }
  if (goodEnd === 0 && fileEnd > 0) checkTornHeader(fd, filePath, fileEnd);
  return { blocks, goodEnd, fileEnd };
}

/** Whether the record got past its checksum, so its bytes are what a writer meant and a crash cannot explain them. */
function isChecksummed(reason: BlockLogCorruptReason): boolean {
  return reason !== 'bad-frame' && reason !== 'bad-crc';
}

function checkHeader(line: Buffer): Decoded {
  if (line.equals(HEADER_LINE.subarray(0, -1))) return {};
  return { reason: 'unknown-header', detail: JSON.stringify(line.toString('utf8', 0, 80)) };
}

/** A file shorter than one header line is only a crashed create if its bytes are the start of our header. */
function checkTornHeader(fd: number, filePath: string, fileEnd: number): void {
  const head = Buffer.alloc(Math.min(fileEnd, HEADER_LINE.length));
  fs.readSync(fd, head, 0, head.length, 0);
  if (fileEnd < HEADER_LINE.length && head.equals(HEADER_LINE.subarray(0, head.length))) return;
  const detail = JSON.stringify(head.toString('utf8'));
  throw new BlockLogCorruptError({ filePath, offset: 0, reason: 'unknown-header', detail });
}
