import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as zlib from 'node:zlib';

import {
  BLOCK_LOG_HEADER,
  BlockLogAppendError,
  BlockLogCorruptError,
  type CommittedBlock,
  encodeRecord,
  openBlockLog,
  type StoredBlock,
} from '../../../dev/bigchaindb/block-log';
import { thrown } from '../../helpers/thrown';

const HEADER = `${BLOCK_LOG_HEADER}\n`;
const HEADER_BYTES = Buffer.byteLength(HEADER);

const txs = [
  '{"id":"a1","asset":{"data":{"vin":"WVWZZZ1JZXW000001"}},"metadata":null}',
  '{"note":"Grüße aus Köln — 日本語 🚗","quote":"say \\"hi\\"","esc":"\\\\ \\n \\t \\u0000 \\u2028"}',
  '{"lone":"\\ud800","raw":"\u2028\u2029\u00a0"}',
];
const blocks: CommittedBlock[] = [
  { height: 0, transactions: [] },
  { height: 1, transactions: [txs[0] ?? ''] },
  { height: 5, transactions: txs },
];

let dir: string;
let file: string;

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'block-log-test-'));
  file = path.join(dir, 'chain.log');
});

afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

/** Blocks without where their transactions are, to compare with what was written. */
function contents(loaded: readonly StoredBlock[]): CommittedBlock[] {
  return loaded.map(({ height, transactions }) => ({ height, transactions }));
}

function writeBlocks(list: readonly CommittedBlock[]): void {
  const { log } = openBlockLog(file);
  for (const block of list) log.append(block);
  log.close();
}

/** A record with a valid checksum over arbitrary JSON, to fake what a buggy writer would leave. */
function record(json: string): string {
  return `${zlib.crc32(json).toString(16).padStart(8, '0')} ${json}\n`;
}

describe('openBlockLog', () => {
  it('returns every appended block byte-for-byte after reopening', () => {
    writeBlocks(blocks);

    const { log, blocks: loaded, droppedTornBytes } = openBlockLog(file);
    log.close();

    expect(contents(loaded)).toEqual(blocks);
    expect(loaded.map((b) => b.transactions.map((tx) => Buffer.from(tx).toString('hex')))).toEqual(
      blocks.map((b) => b.transactions.map((tx) => Buffer.from(tx).toString('hex'))),
    );
    expect(droppedTornBytes).toBe(0);
    const expected = Buffer.concat([Buffer.from(HEADER), ...blocks.map(encodeRecord)]);
    expect(fs.readFileSync(file)).toEqual(expected);
  });

  it('reads records larger than one read chunk', () => {
    const big = { height: 7, transactions: [`{"blob":"${'é'.repeat(1_500_000)}"}`, '{"after":true}'] };
    writeBlocks([blocks[1] as CommittedBlock, big, { height: 8, transactions: ['{}'] }]);

    const { log, blocks: loaded } = openBlockLog(file);
    log.close();

    expect(contents(loaded)).toEqual([blocks[1], big, { height: 8, transactions: ['{}'] }]);
  });

  it('treats a missing file as an empty chain and writes only the header', () => {
    const { log, blocks: loaded, droppedTornBytes } = openBlockLog(file);
    log.close();

    expect(loaded).toEqual([]);
    expect(droppedTornBytes).toBe(0);
    expect(fs.readFileSync(file, 'utf8')).toBe(HEADER);
  });

  it('treats an empty file as an empty chain', () => {
    fs.writeFileSync(file, '');

    const { log, blocks: loaded, droppedTornBytes } = openBlockLog(file);
    log.close();

    expect([loaded, droppedTornBytes]).toEqual([[], 0]);
    expect(fs.readFileSync(file, 'utf8')).toBe(HEADER);
  });

  it('creates missing parent directories', () => {
    const nested = path.join(dir, 'a', 'b', 'chain.log');

    const { log, blocks: loaded } = openBlockLog(nested);
    log.append({ height: 3, transactions: ['{}'] });
    log.close();

    const reopened = openBlockLog(nested);
    reopened.log.close();
    expect(loaded).toEqual([]);
    expect(contents(reopened.blocks)).toEqual([{ height: 3, transactions: ['{}'] }]);
  });

  it('drops a torn header from a crashed create and rewrites it', () => {
    fs.writeFileSync(file, HEADER.slice(0, 10));

    const { log, blocks: loaded, droppedTornBytes } = openBlockLog(file);
    log.close();

    expect([loaded, droppedTornBytes]).toEqual([[], 10]);
    expect(fs.readFileSync(file, 'utf8')).toBe(HEADER);
  });

  it('drops a last record torn before its newline, truncates it, and keeps appending cleanly', () => {
    writeBlocks(blocks.slice(0, 2));
    const goodSize = fs.statSync(file).size;
    const torn = encodeRecord(blocks[2] as CommittedBlock).subarray(0, 40);
    fs.appendFileSync(file, torn);

    const first = openBlockLog(file);
    expect([contents(first.blocks), first.droppedTornBytes]).toEqual([blocks.slice(0, 2), 40]);
    expect(fs.statSync(file).size).toBe(goodSize);
    first.log.append(blocks[2] as CommittedBlock);
    first.log.close();

    const second = openBlockLog(file);
    second.log.close();
    expect([contents(second.blocks), second.droppedTornBytes]).toEqual([blocks, 0]);
  });

  it('drops a complete last record that lacks only its newline', () => {
    writeBlocks(blocks);
    const size = fs.statSync(file).size;
    fs.truncateSync(file, size - 1);

    const { log, blocks: loaded, droppedTornBytes } = openBlockLog(file);
    log.close();

    const lastLength = encodeRecord(blocks[2] as CommittedBlock).length;
    expect([contents(loaded), droppedTornBytes]).toEqual([blocks.slice(0, 2), lastLength - 1]);
    expect(fs.statSync(file).size).toBe(size - lastLength);
  });

  it('drops a last record whose checksum does not match', () => {
    writeBlocks(blocks);
    const bytes = fs.readFileSync(file);
    const lastLength = encodeRecord(blocks[2] as CommittedBlock).length;
    bytes[bytes.length - 5] = 'X'.charCodeAt(0);
    fs.writeFileSync(file, bytes);

    const { log, blocks: loaded, droppedTornBytes } = openBlockLog(file);
    log.close();

    expect([contents(loaded), droppedTornBytes]).toEqual([blocks.slice(0, 2), lastLength]);
    expect(fs.statSync(file).size).toBe(bytes.length - lastLength);
  });

  it('throws on a damaged record followed by good ones, naming its offset, and leaves the file alone', () => {
    writeBlocks(blocks);
    const bytes = fs.readFileSync(file);
    const offset = HEADER_BYTES + encodeRecord(blocks[0] as CommittedBlock).length;
    bytes[offset + 12] = 'X'.charCodeAt(0);
    fs.writeFileSync(file, bytes);

    const err = thrown(() => openBlockLog(file));

    expect(err).toBeInstanceOf(BlockLogCorruptError);
    expect(err).toMatchObject({ code: 'DEVNODE_BLOCK_LOG_CORRUPT', filePath: file, offset, reason: 'bad-crc' });
    const message = new RegExp(`^block log .+ is corrupt at byte ${offset}: bad-crc \\(stored [0-9a-f]{8}, computed `);
    expect((err as Error).message).toMatch(message);
    expect(fs.readFileSync(file)).toEqual(bytes);
  });

  it('rejects a checksummed record whose height does not increase, even as the last record', () => {
    const second = record('{"height":3,"transactions":[]}');
    fs.writeFileSync(file, HEADER + record('{"height":4,"transactions":[]}') + second);

    const err = thrown(() => openBlockLog(file));

    const offset = fs.statSync(file).size - Buffer.byteLength(second);
    expect(err).toBeInstanceOf(BlockLogCorruptError);
    expect(err).toMatchObject({ filePath: file, offset, reason: 'height-not-increasing' });
    expect((err as Error).message).toMatch(/: height-not-increasing \(height 3 after 4\)$/);
  });

  it('rejects a checksummed record with the wrong shape', () => {
    fs.writeFileSync(file, HEADER + record('{"height":1.5,"transactions":[]}'));

    expect(thrown(() => openBlockLog(file))).toMatchObject({ offset: HEADER_BYTES, reason: 'bad-shape' });
  });

  it.each([
    ['a newer format version', 'bigchaindb-devnode-block-log v2\n'],
    ['a foreign file', 'hello world\n'],
    ['a foreign file without newline', 'hello'],
  ])('rejects %s as an unknown header', (_name, content) => {
    fs.writeFileSync(file, content);

    const err = thrown(() => openBlockLog(file));

    expect(err).toBeInstanceOf(BlockLogCorruptError);
    const code = 'DEVNODE_BLOCK_LOG_CORRUPT';
    expect(err).toMatchObject({ code, filePath: file, offset: 0, reason: 'unknown-header' });
    expect(fs.readFileSync(file, 'utf8')).toBe(content);
  });
});

describe('#read', () => {
  it('reads each transaction back by the position append returned, and by the one a reopen found', () => {
    const { log } = openBlockLog(file);
    const appended = blocks.map((block) => log.append(block));

    expect(appended.map((refs) => refs.map((ref) => log.read(ref)))).toEqual(blocks.map((b) => b.transactions));
    log.close();
    const reopened = openBlockLog(file);
    expect(reopened.blocks.map((block) => block.refs)).toEqual(appended);
    expect(reopened.blocks.map((block) => block.refs.map((ref) => reopened.log.read(ref)))).toEqual(
      blocks.map((b) => b.transactions),
    );
    reopened.log.close();
  });
});

describe('#append', () => {
  it.each([
    ['a height that does not increase', { height: 1, transactions: [] }, 'height-not-increasing'],
    ['a negative height', { height: -1, transactions: [] }, 'invalid-block'],
    ['a non-string transaction', { height: 9, transactions: [{}] }, 'invalid-block'],
  ])('refuses %s without writing', (_name, block, reason) => {
    const { log } = openBlockLog(file);
    log.append({ height: 1, transactions: [] });
    const size = fs.statSync(file).size;

    const err = thrown(() => log.append(block as unknown as CommittedBlock));
    log.close();

    expect(err).toBeInstanceOf(BlockLogAppendError);
    expect(err).toMatchObject({ code: 'DEVNODE_BLOCK_LOG_BAD_APPEND', filePath: file, height: block.height, reason });
    expect(fs.statSync(file).size).toBe(size);
  });

  it('refuses appends after close', () => {
    const { log } = openBlockLog(file);
    log.close();

    expect(thrown(() => log.append({ height: 0, transactions: [] }))).toMatchObject({ reason: 'closed' });
  });

  it('still appends when fsync is requested', () => {
    const { log } = openBlockLog(file, { fsync: true });
    log.append(blocks[1] as CommittedBlock);
    log.close();

    const reopened = openBlockLog(file);
    reopened.log.close();
    expect(contents(reopened.blocks)).toEqual([blocks[1]]);
  });
});
