import type { BigchainDb } from './bigchaindb';

/**
 * The newest block height the node has, searching upwards from `start` with O(log distance) `getBlock` calls
 * (exponential then binary search); `null` when the node has no block at all. Heights 0 to the latest all have a block and
 * every higher one is a 404 (bigchaindb-node spec §2.8), so "has a block" is monotone and bisectable.
 */
export async function findNewestHeight(
  bigchainDb: Pick<BigchainDb, 'getBlock'>,
  start: number,
  signal: AbortSignal | undefined,
): Promise<number | null> {
  const has = async (height: number): Promise<boolean> => (await bigchainDb.getBlock(height, signal)) !== undefined;
  let present = -1; // highest height known to exist (-1: none)
  let missing = start; // lowest height known not to exist
  if (await has(start)) {
    present = start;
    for (let step = 1; ; step *= 2) {
      if (!(await has(start + step))) {
        missing = start + step;
        break;
      }
      present = start + step;
    }
  }
  while (missing - present > 1) {
    const middle = present + Math.floor((missing - present) / 2);
    if (await has(middle)) present = middle;
    else missing = middle;
  }
  return present < 0 ? null : present;
}
