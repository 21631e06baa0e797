// Runs an example's data generator from the command line: writes N seeded records to a topic at a rate.
import { parseArgs } from "node:util";
import { TopicWriter, type RecordToWrite } from "../../src/kafka/tools.ts";

export interface GeneratorOptions {
  readonly topic: string;
  readonly count: number;
  /** Records per second; 0 writes as fast as the broker takes them. */
  readonly rate: number;
  readonly seed: number;
  readonly brokers: readonly string[];
}

export function parseGeneratorArgs(argv: readonly string[], defaultTopic: string): GeneratorOptions {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      topic: { type: "string", default: defaultTopic },
      count: { type: "string", default: "1000" },
      rate: { type: "string", default: "100" },
      seed: { type: "string", default: "42" },
      "bootstrap-servers": { type: "string", default: process.env.KAFKA_BOOTSTRAP_SERVERS ?? "127.0.0.1:9092" },
    },
  });
  const number = (name: string, raw: string) => {
    const n = Number(raw);
    if (!Number.isFinite(n) || n < 0) throw new Error(`--${name} must be a number ≥ 0, got "${raw}"`);
    return n;
  };
  return {
    topic: values.topic,
    count: number("count", values.count),
    rate: number("rate", values.rate),
    seed: number("seed", values.seed),
    brokers: values["bootstrap-servers"].split(","),
  };
}

/** Writes `record(i)` for i in [0, count), in order, in tenth-of-a-second slices of `rate` records. */
export async function runGenerator(options: GeneratorOptions, record: (i: number) => RecordToWrite): Promise<void> {
  const writer = new TopicWriter({ brokers: options.brokers, clientId: "weir-generator" });
  await writer.connect();
  let stopping = false;
  const stop = () => (stopping = true);
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
  try {
    const slice = options.rate > 0 ? Math.max(1, Math.round(options.rate / 10)) : 5000;
    for (let i = 0; i < options.count && !stopping; ) {
      const started = Date.now();
      const batch: RecordToWrite[] = [];
      for (; batch.length < slice && i < options.count; i++) batch.push(record(i));
      await writer.write(options.topic, batch);
      if (options.rate > 0) {
        const wait = (batch.length / options.rate) * 1000 - (Date.now() - started);
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      }
    }
  } finally {
    await writer.close();
  }
}
