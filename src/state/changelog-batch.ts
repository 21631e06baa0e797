// Changelog records read for restore (and by standby tasks), held compactly until they are applied in one
// SQLite transaction: their key and value bytes copied into one growing buffer, with a fixed-size entry per
// record. Holding the fetched records themselves kept every fetch's decoded objects (and the response buffers
// their bytes are views of) alive until the batch was applied: hundreds of MB of V8 heap during a large
// restore, promoted to the old generation and collected there (docs/architecture.md, "Restore").
import type { PackedRows } from "./packed-rows.ts";
import type { RestoreRecord } from "./types.ts";

/** Per record: where its key starts in `data`, the key's length, the value's length (-1: a tombstone). */
const FIELDS = 3;
const TOMBSTONE = -1;
/** packedOrder() keeps a record's index within its run in 16 bits: runs of this many records, merged after. */
const RUN_RECORDS = 1 << 16;
/** The 32-bit halves of a 64-bit element, in the platform's byte order. */
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
const HIGH = LITTLE_ENDIAN ? 1 : 0;
const LOW = LITTLE_ENDIAN ? 0 : 1;

export class ChangelogBatch {
  private data: Buffer;
  private entries: Int32Array;
  private used = 0;
  private count = 0;

  constructor(initialBytes = 4096, initialRecords = 128) {
    this.data = Buffer.allocUnsafe(initialBytes);
    this.entries = new Int32Array(initialRecords * FIELDS);
  }

  /** A batch holding `records` in their order. */
  static of(records: Iterable<RestoreRecord>): ChangelogBatch {
    const batch = new ChangelogBatch();
    for (const r of records) batch.add(r.key, r.value);
    return batch;
  }

  /** Records added since the last clear(). */
  get length(): number {
    return this.count;
  }

  /** Key and value bytes held. */
  get bytes(): number {
    return this.used;
  }

  /** Copies the record's bytes in (the caller's buffers are not kept). `value` null: a tombstone. */
  add(key: Buffer, value: Buffer | null): void {
    const at = this.append(key.length, value === null ? TOMBSTONE : value.length);
    key.copy(this.data, at);
    value?.copy(this.data, at + key.length);
  }

  /**
   * The same as add(), from `source`'s bytes: the key at `keyStart`, the value at `valueStart` (`valueLength`
   * -1: a tombstone). No view of `source` is made or kept.
   */
  addFrom(source: Buffer, keyStart: number, keyLength: number, valueStart: number, valueLength: number): void {
    const at = this.append(keyLength, valueLength);
    source.copy(this.data, at, keyStart, keyStart + keyLength);
    if (valueLength > 0) source.copy(this.data, at + keyLength, valueStart, valueStart + valueLength);
  }

  /** Makes room for a record and notes its entry; returns where its key's bytes go, its value's after them. */
  private append(keyLength: number, valueLength: number): number {
    const size = keyLength + Math.max(0, valueLength);
    if (this.used + size > this.data.length) this.growData(this.used + size);
    if ((this.count + 1) * FIELDS > this.entries.length) this.growEntries();
    const at = this.count * FIELDS;
    this.entries[at] = this.used;
    this.entries[at + 1] = keyLength;
    this.entries[at + 2] = valueLength < 0 ? TOMBSTONE : valueLength;
    const start = this.used;
    this.used += size;
    this.count += 1;
    return start;
  }

  /** Forgets the records; the memory is kept for the next batch. */
  clear(): void {
    this.used = 0;
    this.count = 0;
  }

  /** The key of record `i`: a view of the batch's bytes, valid until clear() or the next add(). */
  key(i: number): Buffer {
    const start = this.entries[i * FIELDS]!;
    return this.data.subarray(start, start + this.entries[i * FIELDS + 1]!);
  }

  /** The value of record `i` (null: a tombstone): a view, as key(). */
  value(i: number): Buffer | null {
    const at = i * FIELDS;
    const length = this.entries[at + 2]!;
    if (length === TOMBSTONE) return null;
    const start = this.entries[at]! + this.entries[at + 1]!;
    return this.data.subarray(start, start + length);
  }

  /** Copies record `i` (not a tombstone) into `rows`, without a view of its bytes. */
  copyRecordTo(i: number, rows: PackedRows): void {
    const at = i * FIELDS;
    const start = this.entries[at]!;
    const keyLength = this.entries[at + 1]!;
    rows.add(this.data, start, keyLength, start + keyLength, this.entries[at + 2]!);
  }

  isTombstone(i: number): boolean {
    return this.entries[i * FIELDS + 2] === TOMBSTONE;
  }

  /**
   * The records that decide each key's state, in key order (unsigned bytes, as the stores order keys): for
   * each key, the last record of it in the batch.
   */
  latestInKeyOrder(): Uint32Array {
    const n = this.count;
    const { order, words } = this.packedOrder();
    let kept = 0;
    for (let i = 0; i < n; i++) {
      // Neighbours whose packed bytes differ have different keys: only ties read the keys (scattered in `data`).
      if (i + 1 < n && samePrefix(words, i, i + 1) && this.sameKey(order[i]!, order[i + 1]!)) continue;
      order[kept++] = order[i]!;
    }
    return order.subarray(0, kept);
  }

  /**
   * Record indices in key order, ties by arrival. Sorting was the largest cost of applying a batch in JS
   * (bench/README.md), so the records are first sorted natively as 64-bit numbers: the 6 bytes after the prefix
   * all keys share, then the index; only records whose 6 bytes tie are then compared byte by byte. The index
   * takes 16 bits, so a batch of more records is sorted so in runs of 65,536, which are then merged. Returns the
   * order and the packed numbers in it (`words`: two 32-bit halves per record).
   */
  private packedOrder(): { order: Uint32Array; words: Uint32Array } {
    const n = this.count;
    const { data, entries } = this;
    let common = n > 0 ? entries[1]! : 0;
    const first = entries[0]!;
    for (let i = 1; i < n && common > 0; i++) {
      const start = entries[i * FIELDS]!;
      const length = Math.min(common, entries[i * FIELDS + 1]!);
      let k = 0;
      while (k < length && data[start + k] === data[first + k]) k++;
      common = k;
    }
    let packed = new BigUint64Array(n);
    let words = new Uint32Array(packed.buffer);
    for (let i = 0; i < n; i++) {
      const start = entries[i * FIELDS]! + common;
      const length = entries[i * FIELDS + 1]! - common;
      words[2 * i + HIGH] = ((byteAt(data, start, length, 0) << 24) | (byteAt(data, start, length, 1) << 16) | (byteAt(data, start, length, 2) << 8) | byteAt(data, start, length, 3)) >>> 0;
      words[2 * i + LOW] = ((byteAt(data, start, length, 4) << 24) | (byteAt(data, start, length, 5) << 16) | (i % RUN_RECORDS)) >>> 0;
    }
    let order = new Uint32Array(n);
    for (let run = 0; run < n; run += RUN_RECORDS) {
      const end = Math.min(n, run + RUN_RECORDS);
      packed.subarray(run, end).sort();
      for (let i = run; i < end; i++) order[i] = run + (words[2 * i + LOW]! & 0xffff);
      for (let i = run; i < end; ) {
        let tied = i + 1;
        while (tied < end && samePrefix(words, i, tied)) tied++;
        if (tied - i > 1) this.comparedOrder(order.subarray(i, tied));
        i = tied;
      }
    }
    // Merges runs pairwise, by their packed prefixes, then (on equal prefixes) by key bytes and index.
    if (n > RUN_RECORDS) {
      let nextPacked = new BigUint64Array(n);
      let nextWords = new Uint32Array(nextPacked.buffer);
      let nextOrder = new Uint32Array(n);
      for (let width = RUN_RECORDS; width < n; width *= 2) {
        for (let left = 0; left < n; left += 2 * width) {
          const middle = Math.min(n, left + width);
          const end = Math.min(n, left + 2 * width);
          let a = left;
          let b = middle;
          for (let out = left; out < end; out++) {
            const takeA = b >= end || (a < middle && this.beforeOrSame(words, order, a, b));
            const from = takeA ? a++ : b++;
            nextPacked[out] = packed[from]!;
            nextOrder[out] = order[from]!;
          }
        }
        [packed, nextPacked] = [nextPacked, packed];
        [words, nextWords] = [nextWords, words];
        [order, nextOrder] = [nextOrder, order];
      }
    }
    return { order, words };
  }

  /** Whether the record at sorted position `a` comes before (or is) the one at `b`, by key then index. */
  private beforeOrSame(words: Uint32Array, order: Uint32Array, a: number, b: number): boolean {
    const highA = words[2 * a + HIGH]!;
    const highB = words[2 * b + HIGH]!;
    if (highA !== highB) return highA < highB;
    const lowA = words[2 * a + LOW]! >>> 16;
    const lowB = words[2 * b + LOW]! >>> 16;
    if (lowA !== lowB) return lowA < lowB;
    return this.compare(order[a]!, order[b]!) <= 0;
  }

  /** Sorts `order` (record indices) by key bytes, ties by index. */
  private comparedOrder(order: Uint32Array): Uint32Array {
    return order.sort((a, b) => this.compare(a, b));
  }

  /** Records `a` and `b` by key bytes (unsigned), then by index. */
  private compare(a: number, b: number): number {
    const { data, entries } = this;
    let x = entries[a * FIELDS]!;
    let y = entries[b * FIELDS]!;
    const xEnd = x + entries[a * FIELDS + 1]!;
    const yEnd = y + entries[b * FIELDS + 1]!;
    for (; x < xEnd && y < yEnd; x++, y++) {
      const d = data[x]! - data[y]!;
      if (d !== 0) return d;
    }
    return xEnd - x - (yEnd - y) || a - b;
  }

  private sameKey(a: number, b: number): boolean {
    const { data, entries } = this;
    const length = entries[a * FIELDS + 1]!;
    if (length !== entries[b * FIELDS + 1]) return false;
    const x = entries[a * FIELDS]!;
    const y = entries[b * FIELDS]!;
    for (let k = 0; k < length; k++) if (data[x + k] !== data[y + k]) return false;
    return true;
  }

  private growData(needed: number): void {
    const next = Buffer.allocUnsafe(Math.max(needed, this.data.length * 2));
    this.data.copy(next, 0, 0, this.used);
    this.data = next;
  }

  private growEntries(): void {
    const next = new Int32Array(this.entries.length * 2);
    next.set(this.entries);
    this.entries = next;
  }
}

/** Byte `k` of the key at `start` of `length` bytes; bytes past its end count as 0 (a shorter key then ties with, never sorts after, a longer one). */
function byteAt(data: Buffer, start: number, length: number, k: number): number {
  return k < length ? data[start + k]! : 0;
}

/** Whether sorted positions `a` and `b` have the same 6 packed bytes. */
function samePrefix(words: Uint32Array, a: number, b: number): boolean {
  return words[2 * a + HIGH] === words[2 * b + HIGH] && words[2 * a + LOW]! >>> 16 === words[2 * b + LOW]! >>> 16;
}
