// Rows handed to a table in bulk as byte ranges of one reused buffer, not as a Buffer object per key and value:
// restore writes millions of rows, and a view per key and value was most of its garbage (docs/architecture.md,
// "Restore").

/** Rows per bulk write: one call into SQLite per this many rows (a multi-row upsert). */
export const PACKED_ROWS_PER_WRITE = 64;

/** Per row in `ranges`: key start, key length, value start, value length (offsets into `bytes`). */
const FIELDS = 4;
/** Below this many bytes a loop copies faster than Buffer#copy's call. */
const LOOP_COPY_BYTES = 32;
const INITIAL_BYTES = 64 * 1024;

export class PackedRows {
  /** The rows' bytes; only `[0, used)` is meaningful. Replaced (not resized) when it must grow. */
  bytes: Buffer;
  readonly ranges: number[] = [];
  count = 0;
  used = 0;

  constructor() {
    this.bytes = Buffer.allocUnsafe(INITIAL_BYTES);
  }

  /** Forgets the rows; a buffer grown past 16 times its first size (a few large values) is not kept. */
  clear(): void {
    this.count = 0;
    this.used = 0;
    if (this.bytes.length > 16 * INITIAL_BYTES) this.bytes = Buffer.allocUnsafe(INITIAL_BYTES);
  }

  /** Copies a row's key and value from `source` (the value may follow the key there or not). */
  add(source: Buffer, keyStart: number, keyLength: number, valueStart: number, valueLength: number): void {
    const size = keyLength + valueLength;
    if (this.used + size > this.bytes.length) {
      const next = Buffer.allocUnsafe(Math.max(this.used + size, this.bytes.length * 2));
      this.bytes.copy(next, 0, 0, this.used);
      this.bytes = next;
    }
    const at = this.count * FIELDS;
    this.ranges[at] = this.used;
    this.ranges[at + 1] = keyLength;
    this.used = copyInto(this.bytes, this.used, source, keyStart, keyLength);
    this.ranges[at + 2] = this.used;
    this.ranges[at + 3] = valueLength;
    this.used = copyInto(this.bytes, this.used, source, valueStart, valueLength);
    this.count += 1;
  }

  keyStart(i: number): number {
    return this.ranges[i * FIELDS]!;
  }

  keyLength(i: number): number {
    return this.ranges[i * FIELDS + 1]!;
  }

  valueStart(i: number): number {
    return this.ranges[i * FIELDS + 2]!;
  }

  valueLength(i: number): number {
    return this.ranges[i * FIELDS + 3]!;
  }

  /** Row `i`'s key as a view (for tables that split it into columns). */
  key(i: number): Buffer {
    const start = this.keyStart(i);
    return this.bytes.subarray(start, start + this.keyLength(i));
  }

  value(i: number): Buffer {
    const start = this.valueStart(i);
    return this.bytes.subarray(start, start + this.valueLength(i));
  }
}

function copyInto(target: Buffer, at: number, source: Buffer, start: number, length: number): number {
  if (length < LOOP_COPY_BYTES) {
    for (let k = 0; k < length; k++) target[at + k] = source[start + k]!;
  } else {
    source.copy(target, at, start, start + length);
  }
  return at + length;
}
