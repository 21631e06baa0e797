// Whether a task's checkpoint is really past its changelog's end. A kept task is not fenced again, and
// ListOffsets (read_committed) answers the last stable offset: right after the task's own commit, while the
// broker still writes that transaction's markers, the end reads as the transaction's first offset, below the
// checkpoint. Only a checkpoint still past the end after a while means a changelog recreated behind the file.
// (Taking the first answer wiped good state files: the chaos test saw keys counted from 1 again.)

export interface StableEndCheck {
  /** Why the checkpoint is past the ends read last, or undefined when it is not. */
  readonly beyond: () => string | undefined;
  /** Reads the ends again. */
  readonly reread: () => Promise<void>;
  /** The wait was overtaken (a newer rebalance): give up. */
  readonly cancelled: () => boolean;
  readonly attempts: number;
  readonly waitMs: number;
}

export type StableEndVerdict = { readonly beyond: string; readonly cancelled?: undefined } | { readonly beyond?: undefined; readonly cancelled?: true };

/** `{ beyond }` when the checkpoint is still past the end after the attempts; `{ cancelled: true }` when overtaken. */
export async function checkpointStillBeyond(check: StableEndCheck): Promise<StableEndVerdict> {
  let beyond = check.beyond();
  for (let attempt = 0; beyond !== undefined && attempt < check.attempts; attempt++) {
    await new Promise((resolve) => setTimeout(resolve, check.waitMs));
    if (check.cancelled()) return { cancelled: true };
    await check.reread();
    beyond = check.beyond();
  }
  return beyond === undefined ? {} : { beyond };
}
