// The checkpoint rows of a state file: for each changelog partition, the next offset to restore from.
// They are written in the same SQLite transaction as the state they describe.
import SqliteDatabase from "better-sqlite3";
import type { Database, Statement } from "better-sqlite3";
import { StateError } from "./errors.ts";
import type { Checkpoint } from "./types.ts";

interface CheckpointRow {
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
}

export class CheckpointTable {
  private readonly upsertStatement: Statement<[string, number, string]>;
  private readonly selectStatement: Statement<[], CheckpointRow>;

  constructor(db: Database) {
    db.exec(`CREATE TABLE IF NOT EXISTS weir_checkpoint (topic TEXT NOT NULL, "partition" INTEGER NOT NULL, "offset" TEXT NOT NULL, PRIMARY KEY (topic, "partition"))`);
    this.upsertStatement = db.prepare(
      `INSERT INTO weir_checkpoint (topic, "partition", "offset") VALUES (?, ?, ?) ON CONFLICT (topic, "partition") DO UPDATE SET "offset" = excluded."offset"`,
    );
    this.selectStatement = db.prepare<[], CheckpointRow>(`SELECT topic, "partition" AS partition, "offset" AS offset FROM weir_checkpoint ORDER BY topic, "partition"`);
  }

  read(): Checkpoint {
    const out: Checkpoint = new Map();
    for (const row of this.selectStatement.all()) out.set(`${row.topic}:${row.partition}`, row.offset);
    return out;
  }

  /** Upserts the given partitions' offsets; partitions not named keep theirs. Call inside a transaction. */
  write(rows: readonly CheckpointRow[]): void {
    for (const row of rows) this.upsertStatement.run(row.topic, row.partition, row.offset);
  }
}

/** Checks a checkpoint before anything is written, so that a bad one cannot fail half a commit. */
export function checkpointRows(checkpoint: Checkpoint): CheckpointRow[] {
  const rows: CheckpointRow[] = [];
  for (const [key, offset] of checkpoint) {
    const colon = key.lastIndexOf(":");
    const topic = key.slice(0, colon);
    const partition = Number(key.slice(colon + 1));
    if (colon <= 0 || !Number.isInteger(partition) || partition < 0 || !/^\d+$/.test(key.slice(colon + 1))) {
      throw new StateError("WEIR_STATE_CHECKPOINT_INVALID", `checkpoint key ${JSON.stringify(key)} is not topic:partition (use changelogPartitionKey())`);
    }
    if (!/^\d+$/.test(offset)) {
      throw new StateError("WEIR_STATE_CHECKPOINT_INVALID", `checkpoint offset of ${key} must be a decimal offset, got ${JSON.stringify(offset)}`);
    }
    rows.push({ topic, partition, offset });
  }
  return rows;
}

/**
 * The checkpoint of a state file no connection holds, read without opening it as a StateFile (no check, no
 * rebuild, no lock kept: a read-only connection, closed at once); undefined when it cannot be read (held by a
 * task, corrupt, not a state file). The group planner reports it as the file's position.
 */
export function readCheckpointOf(path: string): Checkpoint | undefined {
  let db: Database | undefined;
  try {
    db = new SqliteDatabase(path, { readonly: true, fileMustExist: true, timeout: 0 });
    const out: Checkpoint = new Map();
    for (const row of db.prepare<[], CheckpointRow>(`SELECT topic, "partition" AS partition, "offset" AS offset FROM weir_checkpoint`).all()) out.set(`${row.topic}:${row.partition}`, row.offset);
    return out;
  } catch {
    return undefined;
  } finally {
    db?.close();
  }
}
