// A commit's records split into sends of at most about `maxBytes` each: one send of a whole large fetch's
// outputs is refused by the broker (MESSAGE_TOO_LARGE: a record batch over message.max.bytes, 1 MiB by default).
import type { ProducedRecord } from "./types.ts";

/** Roughly what a record costs in a record batch: its key, value and headers, plus per-record overhead. */
export function recordBytes(r: ProducedRecord): number {
  let size = 70 + (r.key?.length ?? 0) + (r.value?.length ?? 0);
  for (const name in r.headers) size += name.length + (r.headers[name]?.length ?? 0) + 8;
  return size;
}

export function* chunksByBytes(records: readonly ProducedRecord[], maxBytes: number): Generator<readonly ProducedRecord[]> {
  let start = 0;
  let bytes = 0;
  for (let i = 0; i < records.length; i++) {
    const size = recordBytes(records[i]!);
    if (bytes + size > maxBytes && i > start) {
      yield records.slice(start, i);
      start = i;
      bytes = 0;
    }
    bytes += size;
  }
  if (start < records.length) yield records.slice(start);
}
