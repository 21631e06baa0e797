// Bounds in the order of stored keys: unsigned lexicographic bytes (Kafka's order), which is how SQLite
// compares BLOBs (memcmp, then the shorter first).

export const EMPTY_KEY: Buffer = Buffer.alloc(0);

/** The smallest key greater than `key`: `key` followed by a zero byte. */
export function successor(key: Buffer): Buffer {
  const out = Buffer.alloc(key.length + 1);
  key.copy(out);
  return out;
}

/**
 * The smallest key greater than every key that starts with `prefix`: drop trailing 0xff bytes and add 1
 * to the last remaining byte. Undefined when there is none (an empty prefix or only 0xff bytes): the scan
 * then has no upper bound.
 */
export function nextPrefix(prefix: Buffer): Buffer | undefined {
  let end = prefix.length;
  while (end > 0 && prefix[end - 1] === 0xff) end--;
  if (end === 0) return undefined;
  const out = Buffer.from(prefix.subarray(0, end));
  out[end - 1] = out[end - 1]! + 1;
  return out;
}

/** Orders keys held as latin1 strings (one char per byte), which compare exactly as their bytes do. */
export function compareIds(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
