import { type CommittedBlock, openBlockLog, type StoredBlock, type TextRef } from './block-log';
import { TextArena } from './text-arena';

/**
 * Where committed blocks' transaction texts live: in memory, or in the chain file, whose bytes the
 * node then reads back instead of keeping a second copy in memory.
 */
export interface ChainStore {
  /** Stores a block; when it returns, the block is as durable as the store is. Returns where each transaction is. */
  appendBlock(block: CommittedBlock): TextRef[];
  /** A transaction's compact JSON text. */
  read(ref: TextRef): string;
  close(): void;
}

/** A chain kept in memory only. */
export function memoryChainStore(): ChainStore {
  const arena = new TextArena();
  return {
    appendBlock: (block) => block.transactions.map((text) => arena.add(text)),
    read: (ref) => arena.read(ref),
    close: () => undefined,
  };
}

/** A chain kept in an append-only file, with the blocks already in it. */
export function fileChainStore(filePath: string): {
  store: ChainStore;
  blocks: StoredBlock[];
  droppedTornBytes: number;
} {
  const { log, blocks, droppedTornBytes } = openBlockLog(filePath);
  return {
    store: { appendBlock: (block) => log.append(block), read: (ref) => log.read(ref), close: () => log.close() },
    blocks,
    droppedTornBytes,
  };
}
