// Helpers of the start-up and shutdown tests: a signal sent the moment an app logs a line, and what the
// broker says of the application's group.
import { kafkaFor } from "../../src/kafka/tools.ts";
import { connection, type WeirProcess } from "./cluster.ts";

/**
 * Sends `signal` to the process as soon as its stderr carries a log line with `msg` (watched on the stream
 * itself, not polled, so the signal lands at that point of start-up); resolves when it was sent.
 */
export function signalOnLog(weir: WeirProcess, msg: string, signal: NodeJS.Signals = "SIGTERM"): Promise<void> {
  const needle = `"msg":"${msg}`;
  const stderr = weir.child.stderr!;
  return new Promise((resolve, reject) => {
    let tail = "";
    const onData = (chunk: string | Buffer) => {
      const text = tail + chunk.toString();
      if (!text.includes(needle)) {
        tail = text.slice(-needle.length);
        return;
      }
      stderr.off("data", onData);
      weir.child.off("exit", onExit);
      weir.child.kill(signal);
      resolve();
    };
    const onExit = () => reject(new Error(`the process exited before logging "${msg}":\n${weir.stderr().slice(-3000)}`));
    stderr.on("data", onData);
    weir.child.once("exit", onExit);
  });
}

/** The group's state and member ids, as the coordinator describes it. */
export async function describeGroup(groupId: string): Promise<{ state: string; members: string[] }> {
  const admin = kafkaFor(connection()).admin();
  await admin.connect();
  try {
    const { groups } = await admin.describeGroups([groupId]);
    const group = groups[0];
    return { state: group?.state ?? "Unknown", members: (group?.members ?? []).map((m) => m.memberId) };
  } finally {
    await admin.disconnect();
  }
}

/** The `tasks` of every "tasks assigned" line the process logged, in order. */
export function assignmentsLogged(weir: WeirProcess): string[][] {
  return weir.logs("tasks assigned").map((line) => [...((line.tasks as string[] | undefined) ?? [])].sort());
}

/** The index of the first log line with `msg`, or -1. */
export function logIndex(weir: WeirProcess, msg: string): number {
  return weir.logs().findIndex((line) => line.msg === msg);
}
