// A test hook, off unless WEIR_TEST_HOLD_RESTORE_FILE names a file: each task's restore (even one with nothing
// to replay) is held, after fencing and before its changelogs are fetched, for as long as that file exists. A
// broker test can then observe the restoring state (/ready answering 503) without racing the restore, or show
// that a rebalance restores only the tasks it moved, and release it by deleting the file. The hold is logged
// ("restore held"), so the test waits on a line, not on time.
import { existsSync } from "node:fs";
import type { Logger } from "./logger.ts";

const checkEveryMs = 50;

/** The hold WEIR_TEST_HOLD_RESTORE_FILE asks for; undefined (no hold) when it is not set. */
export function restoreHoldFromEnv(env: NodeJS.ProcessEnv, logger: Logger): ((task: string) => Promise<void>) | undefined {
  const file = env.WEIR_TEST_HOLD_RESTORE_FILE;
  if (!file) return undefined;
  return async (task) => {
    if (!existsSync(file)) return;
    logger.info({ task, file }, "restore held (test hook): waiting for the file to be deleted");
    while (existsSync(file)) await new Promise((resolve) => setTimeout(resolve, checkEveryMs));
    logger.info({ task }, "restore released (test hook)");
  };
}

/**
 * The same for standby tasks, off unless WEIR_TEST_HOLD_STANDBY_FILE names a file: while it exists, standbys read
 * nothing (logged once, "standby held"), so a broker test can give a standby a known lag before a take-over.
 */
export function standbyHoldFromEnv(env: NodeJS.ProcessEnv, logger: Logger): (() => boolean) | undefined {
  const file = env.WEIR_TEST_HOLD_STANDBY_FILE;
  if (!file) return undefined;
  let held = false;
  return () => {
    const now = existsSync(file);
    if (now !== held) logger.info({ file }, now ? "standby held (test hook): reading nothing while the file exists" : "standby released (test hook)");
    held = now;
    return now;
  };
}
