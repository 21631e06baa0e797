// Reads of what a task's file has committed, for interactive queries: never the write cache and never the
// open SQLite transaction. The file's one connection holds an exclusive lock (no second connection can
// open it), so a read runs on that connection at a moment when no transaction is open: at once when
// none is, else right after the task's next commit or rollback.
import { StateError } from "./errors.ts";
import type { KeyValueRow, KeyValueTable } from "./kv-table.ts";
import { EMPTY_KEY, nextPrefix } from "./key-order.ts";
import type { WindowedLayout, WindowedRow, WindowedTable } from "./windowed-table.ts";
import type { VersionRow, VersionedTable } from "./versioned-table.ts";

export type { KeyValueRow } from "./kv-table.ts";

/** A key-value store's committed entries, as bytes in key order. */
export interface CommittedKeyValueReads {
  get(key: Buffer): Buffer | undefined;
  /** Up to `limit` entries with from ≤ key ≤ to (undefined = unbounded), in key order. */
  range(from: Buffer | undefined, to: Buffer | undefined, limit: number): KeyValueRow[];
  /** Up to `limit` entries whose key starts with `prefix`, in key order. */
  prefix(prefix: Buffer, limit: number): KeyValueRow[];
}

/**
 * What a committed read may look at: the file's stores by name. A new kind of store (windows, sessions)
 * adds its own method here, returning reads over its table.
 */
export interface CommittedView {
  keyValue(store: string): CommittedKeyValueReads;
  windowed(store: string): CommittedWindowedReads;
  versioned(store: string): CommittedVersionedReads;
}

/** A versioned store's committed versions (values start with their flag byte: 1 = value, 0 = tombstone). */
export interface CommittedVersionedReads {
  latest(key: Buffer): VersionRow | undefined;
  /** The version valid at `time`. */
  floor(key: Buffer, time: number): VersionRow | undefined;
  /** The timestamp of the first version after `time`. */
  nextAfter(key: Buffer, time: number): number | undefined;
  /** The store's stream time: its largest version timestamp; -1 when empty. */
  streamTime(): number;
}

export function committedVersionedReads(table: VersionedTable): CommittedVersionedReads {
  return {
    latest: (key) => table.latest(key),
    floor: (key, time) => table.floor(key, time),
    nextAfter: (key, time) => table.nextAfter(key, time),
    streamTime: () => table.maxTimestamp() ?? -1,
  };
}

/** A window or session store's committed rows of one key, ordered by window. */
export interface CommittedWindowedReads {
  readonly layout: WindowedLayout;
  /** Windows whose start is in [from, to] (sessions: end ≥ from and start ≤ to), at most `limit`. */
  fetch(key: Buffer, from: number, to: number, limit: number): WindowedRow[];
}

export function committedWindowedReads(table: WindowedTable): CommittedWindowedReads {
  return { layout: table.layout, fetch: (key, from, to, limit) => table.fetchKey(key, from, to).slice(0, limit) };
}

export function committedKeyValueReads(table: KeyValueTable): CommittedKeyValueReads {
  return {
    get: (key) => table.get(key),
    range: (from, to, limit) => {
      const lower = from ?? EMPTY_KEY;
      if (to !== undefined && Buffer.compare(lower, to) > 0) return [];
      return table.page(lower, to, true, limit);
    },
    prefix: (prefix, limit) => table.page(prefix, nextPrefix(prefix), false, limit),
  };
}

interface PendingRead {
  run(): void;
  fail(error: Error): void;
}

/** The reads waiting for the file's open transaction to end. */
export class CommittedReadQueue {
  private readonly pending: PendingRead[] = [];
  private readonly inTransaction: () => boolean;
  private readonly view: CommittedView;
  private closed = false;

  constructor(view: CommittedView, inTransaction: () => boolean) {
    this.view = view;
    this.inTransaction = inTransaction;
  }

  read<T>(body: (view: CommittedView) => T, file: string): Promise<T> {
    if (this.closed) return Promise.reject(new StateError("WEIR_STATE_CLOSED", `read of ${file}: the state file is closed`));
    return new Promise<T>((resolve, reject) => {
      const pending: PendingRead = {
        run: () => {
          try {
            resolve(body(this.view));
          } catch (err) {
            reject(err instanceof Error ? err : new Error(String(err)));
          }
        },
        fail: reject,
      };
      if (this.inTransaction()) this.pending.push(pending);
      else pending.run();
    });
  }

  /** The open transaction ended (commit or rollback): what SQLite holds now is committed, so the waiting reads run. */
  settled(): void {
    if (this.pending.length === 0 || this.inTransaction()) return;
    for (const read of this.pending.splice(0)) read.run();
  }

  close(file: string): void {
    this.closed = true;
    for (const read of this.pending.splice(0)) read.fail(new StateError("WEIR_STATE_CLOSED", `read of ${file}: the state file was closed before its transaction ended`));
  }
}
