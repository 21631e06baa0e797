// The state layer's typed errors. Same shape as the runtime's WeirError (a stable `code`, a message that
// says what to do); a separate class because `state/` sits below `runtime/` and must not import it.

export type StateErrorCode =
  /** A call on a file after close(). */
  | "WEIR_STATE_CLOSED"
  /** A call the file's status does not allow (e.g. restore with uncommitted writes, commit after a failed write). */
  | "WEIR_STATE_WRONG_STATUS"
  /** SQLite refused a write or a commit; the file is `failed` until rollback(). */
  | "WEIR_STATE_WRITE_FAILED"
  /** Another connection (another instance or a task not yet closed) holds the file. */
  | "WEIR_STATE_LOCKED"
  /** The file could not be opened for a reason other than corruption (permissions, I/O). */
  | "WEIR_STATE_OPEN_FAILED"
  /** A bad store name, a store registered twice with different changelogs, or an unknown store. */
  | "WEIR_STATE_STORE_INVALID"
  /** A checkpoint entry that is not `topic:partition` → decimal offset. */
  | "WEIR_STATE_CHECKPOINT_INVALID"
  | "WEIR_STATE_OPTIONS_INVALID"
  /** A bounded suppress buffer with shutDownWhenFull() passed its limit: the task fails, no handler may skip it. */
  | "WEIR_STATE_BUFFER_FULL";

export class StateError extends Error {
  readonly code: StateErrorCode;
  constructor(code: StateErrorCode, message: string, options?: { cause?: unknown }) {
    super(`${code}: ${message}`, options);
    this.code = code;
    this.name = "StateError";
  }
}

/** The SQLite error code of an error thrown by better-sqlite3 (`SQLITE_CORRUPT`, `SQLITE_BUSY`, …), if any. */
export function sqliteCode(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === "string" && code.startsWith("SQLITE_") ? code : undefined;
}

export function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
