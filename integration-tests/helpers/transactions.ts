// A transactional id's state as the broker reports it, read with Kafka's own kafka-transactions tool.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { connection, root } from "./cluster.ts";

/** `kafka-transactions describe --transactional-id`: its columns (TransactionState, TransactionTimeoutMs, …) by name. */
export function describeTransaction(transactionalId: string): Record<string, string> {
  const out = execFileSync(
    join(root, "scripts/kafka.sh"),
    ["tool", "org.apache.kafka.tools.TransactionsCommand", "--bootstrap-server", connection().brokers[0]!, "describe", "--transactional-id", transactionalId],
    { encoding: "utf8" },
  );
  // Tab-separated, padded, with a trailing tab: the last row's empty cells are lost to trimming, so read by position.
  const [header, row] = out.split("\n").filter((line) => line.trim() !== "").map((line) => line.split("\t").map((cell) => cell.trim()));
  assert.ok(header && row, `kafka-transactions describe printed no row for ${transactionalId}:\n${out}`);
  return Object.fromEntries(header.flatMap((name, i) => (name === "" ? [] : [[name, row[i] ?? ""]])));
}
