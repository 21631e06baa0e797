// Opens a task's SQLite file with Weir's settings, checks an existing one, and replaces a corrupt one
// with an empty file (whose stores are then restored from the changelogs' beginning).
import Database from "better-sqlite3";
import { existsSync, mkdirSync, rmSync } from "node:fs";
import { dirname } from "node:path";
import { StateError, messageOf, sqliteCode } from "./errors.ts";
import { DEFAULT_PAGE_CACHE_BYTES } from "./types.ts";

export interface OpenedDatabase {
  readonly db: Database.Database;
  /** True when the file existed but was corrupt (or not SQLite) and was replaced by an empty one. */
  readonly rebuilt: boolean;
  /** Why it was replaced: SQLite's error or the check's first findings. */
  readonly rebuildReason: string | undefined;
}

/** 8 KiB pages: restore ran ~20% faster than with 4 KiB and processing commits cost the same (bench). */
const PAGE_SIZE = 8192;
/** What the WAL file is cut back to after a checkpoint. */
const WAL_SIZE_LIMIT_BYTES = 16 << 20;
/** Errors that mean the bytes are bad, not that we may not read them. */
const CORRUPTION = new Set(["SQLITE_CORRUPT", "SQLITE_NOTADB", "SQLITE_CORRUPT_VTAB", "SQLITE_CORRUPT_SEQUENCE", "SQLITE_CORRUPT_INDEX"]);

/** `pageCacheBytes`: SQLite's page cache of the connection (the B-tree's upper levels stay in memory). */
export function openDatabase(path: string, pageCacheBytes = DEFAULT_PAGE_CACHE_BYTES): OpenedDatabase {
  try {
    mkdirSync(dirname(path), { recursive: true });
  } catch (err) {
    throw new StateError("WEIR_STATE_OPEN_FAILED", `cannot create the folder of ${path}: ${messageOf(err)}`, { cause: err });
  }
  if (!existsSync(path)) {
    // A WAL left without its database belongs to another file's history: SQLite would replay it into the new one.
    removeSidecars(path);
    return { db: connect(path, false, pageCacheBytes), rebuilt: false, rebuildReason: undefined };
  }
  let reason: string;
  try {
    return { db: connect(path, true, pageCacheBytes), rebuilt: false, rebuildReason: undefined };
  } catch (err) {
    if (!(err instanceof CorruptFile)) throw err;
    reason = err.message;
  }
  rmSync(path, { force: true });
  removeSidecars(path);
  return { db: connect(path, false, pageCacheBytes), rebuilt: true, rebuildReason: reason };
}

/** The same settings on `:memory:` (no WAL, no lock, nothing to check). */
export function openInMemory(pageCacheBytes = DEFAULT_PAGE_CACHE_BYTES): Database.Database {
  const db = new Database(":memory:");
  configure(db, ":memory:", pageCacheBytes);
  return db;
}

class CorruptFile extends Error {}

function connect(path: string, check: boolean, pageCacheBytes: number): Database.Database {
  let db: Database.Database;
  try {
    // timeout 0: a locked file fails at once. better-sqlite3's default waits 5 s, blocking the event loop
    // of the very process that may be about to release the lock.
    db = new Database(path, { timeout: 0 });
  } catch (err) {
    throw classify(err, path);
  }
  try {
    configure(db, path, pageCacheBytes);
    if (check) {
      // quick_check reads every page and checks the B-trees' structure (measured: ~0.1 s for 1M rows,
      // 134 MB); integrity_check adds index/table cross-checks our index-free tables do not need (+8%).
      const problems = (db.pragma("quick_check(10)") as { quick_check: string }[]).map((r) => r.quick_check);
      if (problems.length !== 1 || problems[0] !== "ok") throw new CorruptFile(`quick_check: ${problems.join("; ")}`);
    }
    return db;
  } catch (err) {
    db.close();
    throw classify(err, path);
  }
}

function configure(db: Database.Database, path: string, pageCacheBytes: number): void {
  const file = path !== ":memory:";
  if (file) {
    // One connection per file, held until close: a second opener (another instance on the same stateDir,
    // or a task opened before its previous owner closed it) fails with SQLITE_BUSY instead of
    // interleaving its writes. It also keeps the WAL index in process memory (no -shm file).
    db.pragma("locking_mode = EXCLUSIVE");
    // Only takes effect on a new file, and must precede the switch to WAL.
    db.pragma(`page_size = ${PAGE_SIZE}`);
    const mode = db.pragma("journal_mode = WAL", { simple: true }) as string;
    if (mode !== "wal") throw new Error(`SQLite kept journal_mode ${mode} instead of wal`);
    // In WAL mode, NORMAL never corrupts; the last commits may roll back on power loss, and the
    // changelog replay of DESIGN.md step 2 brings them back.
    db.pragma("synchronous = NORMAL");
    // The WAL file keeps the size of the largest commit (a restore batch: ~100 MB) unless truncated
    // after its checkpoint; per task file, that adds up.
    db.pragma(`journal_size_limit = ${WAL_SIZE_LIMIT_BYTES}`);
  }
  // A negative cache_size is in KiB.
  db.pragma(`cache_size = -${Math.max(1, Math.floor(pageCacheBytes / 1024))}`);
  db.pragma("temp_store = MEMORY");
}

function classify(err: unknown, path: string): Error {
  if (err instanceof CorruptFile || err instanceof StateError) return err;
  const code = sqliteCode(err);
  if (code !== undefined && CORRUPTION.has(code)) return new CorruptFile(`${code}: ${messageOf(err)}`);
  if (code === "SQLITE_BUSY" || code === "SQLITE_LOCKED") {
    return new StateError(
      "WEIR_STATE_LOCKED",
      `${path} is held by another connection: another instance uses the same stateDir, or the task's previous owner in this process has not closed it yet`,
      { cause: err },
    );
  }
  return new StateError("WEIR_STATE_OPEN_FAILED", `cannot open ${path}: ${messageOf(err)}`, { cause: err });
}

function removeSidecars(path: string): void {
  for (const suffix of ["-wal", "-shm", "-journal"]) rmSync(path + suffix, { force: true });
}
