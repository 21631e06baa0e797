// Kafka's own perf tools (ProducerPerformance, ConsumerPerformance, the classes behind
// kafka-producer-perf-test and kafka-consumer-perf-test), run through scripts/kafka.sh tool: the ceiling of
// this broker on this machine.
import { join } from "node:path";
import { startChild, tailOf } from "../lib/child.ts";
import type { Measurement } from "../lib/measure.ts";
import { repoRoot } from "../lib/weir.ts";

const kafkaSh = join(repoRoot, "scripts/kafka.sh");

/** Produces `records` records of 200 bytes with acks=all; the tool's own records/sec. */
export async function producerPerf(brokers: readonly string[], topic: string, records: number, timeoutMs: number): Promise<Measurement> {
  const run = startChild(kafkaSh, [
    "tool",
    "org.apache.kafka.tools.ProducerPerformance",
    "--topic",
    topic,
    "--num-records",
    String(records),
    "--record-size",
    "200",
    "--throughput",
    "-1",
    "--producer-props",
    `bootstrap.servers=${brokers.join(",")}`,
    "acks=all",
  ]);
  const code = await run.exited(timeoutMs);
  // The progress lines every 5 s have the same start as the final summary, which comes last.
  const summary = run.stdout.map((l) => /^(\d+) records sent, ([\d.]+) records\/sec/.exec(l)).findLast((m) => m !== null);
  if (code !== 0 || !summary) throw new Error(`ProducerPerformance exited with ${code}:\n${tailOf(run)}`);
  const sent = Number(summary[1]);
  return { records: sent, ms: (sent / Number(summary[2])) * 1000, peakRssBytes: run.peakRss() };
}

/** Consumes `records` records of `topic` from the beginning; the tool's fetch records/sec (rebalance time excluded). */
export async function consumerPerf(brokers: readonly string[], topic: string, records: number, timeoutMs: number): Promise<Measurement> {
  const run = startChild(kafkaSh, [
    "tool",
    "org.apache.kafka.tools.ConsumerPerformance",
    "--bootstrap-server",
    brokers.join(","),
    "--topic",
    topic,
    "--messages",
    String(records),
    "--timeout",
    "60000",
    "--group",
    `bench-consumer-perf-${Date.now()}`,
  ]);
  const code = await run.exited(timeoutMs);
  // start.time, end.time, data.consumed.in.MB, MB.sec, data.consumed.in.nMsg, nMsg.sec, rebalance.time.ms, fetch.time.ms, fetch.MB.sec, fetch.nMsg.sec
  const row = run.stdout.map((l) => l.split(",").map((c) => c.trim())).find((cells) => cells.length >= 10 && /^\d+$/.test(cells[4] ?? ""));
  if (code !== 0 || !row) throw new Error(`ConsumerPerformance exited with ${code}:\n${tailOf(run)}`);
  return { records: Number(row[4]), ms: Number(row[7]), peakRssBytes: run.peakRss() };
}
