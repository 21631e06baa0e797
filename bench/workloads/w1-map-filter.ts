// W1: stateless map/filter. Parses the JSON value, keeps amounts ≥ 100 (90%), writes a smaller JSON value.
// The guarantee comes from the command line (--processing-guarantee).
import { StreamsBuilder, app, serdes } from "weir-streams";
import type { InputValue } from "../lib/records.ts";
import { topic } from "./topics.ts";

interface Cents {
  readonly id: number;
  readonly user: string;
  readonly cents: number;
  readonly sentAt: number;
}

const builder = new StreamsBuilder();
builder
  .stream(topic("BENCH_INPUT"), { key: serdes.string(), value: serdes.json<InputValue>() })
  .filter((_key, v) => v.amount >= 100)
  .mapValues((v): Cents => ({ id: v.id, user: v.user, cents: v.amount * 100, sentAt: v.sentAt }))
  .to(topic("BENCH_OUTPUT"), { key: serdes.string(), value: serdes.json<Cents>() });

export default app({ applicationId: "bench-w1", topology: builder.build() });
