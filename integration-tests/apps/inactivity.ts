// The timers test's app: per key, "inactive" once 10 s of event time pass without a record of that key,
// through a process() processor with an event-time timer per key and a store of each key's last timestamp.
import { StreamsBuilder, app, serdes, type KeyValueStore, type KeyValueStoreRef, type Processor, type ProcessorContext, type StreamRecord, type Timer } from "weir-streams";

const inactivityMs = 10_000;

export interface Inactive {
  readonly lastSeen: number;
}

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} must name the topic`);
  return value;
}

class InactivityProcessor implements Processor<string, string, string, Inactive> {
  private readonly ref: KeyValueStoreRef<string, number>;
  private context!: ProcessorContext<string, Inactive, string>;
  private lastSeen!: KeyValueStore<string, number>;

  constructor(ref: KeyValueStoreRef<string, number>) {
    this.ref = ref;
  }

  init(context: ProcessorContext<string, Inactive, string>): void {
    this.context = context;
    this.lastSeen = context.getStateStore(this.ref);
  }

  process(record: StreamRecord<string, string>): void {
    const previous = this.lastSeen.get(record.key);
    if (previous !== undefined) this.context.timers.delete(record.key, previous + inactivityMs, { type: "eventTime" });
    const last = Math.max(previous ?? 0, record.timestamp);
    this.context.timers.register(record.key, last + inactivityMs, { type: "eventTime" });
    this.lastSeen.put(record.key, last);
  }

  onTimer(timer: Timer<string>, context: ProcessorContext<string, Inactive, string>): void {
    const lastSeen = this.lastSeen.get(timer.key)!;
    this.lastSeen.delete(timer.key);
    context.forward({ key: timer.key, value: { lastSeen }, timestamp: timer.timeMs, headers: {} });
  }
}

const builder = new StreamsBuilder();
const lastSeen = builder.addStateStore({ name: "last-seen", key: serdes.string(), value: serdes.int64() });
builder
  .stream(required("INACTIVITY_INPUT_TOPIC"), { key: serdes.string(), value: serdes.string() })
  .process(() => new InactivityProcessor(lastSeen), { stores: [lastSeen], name: "inactivity" })
  .to(required("INACTIVITY_OUTPUT_TOPIC"), { key: serdes.string(), value: serdes.json<Inactive>() });

export default app({
  applicationId: "inactivity",
  topology: builder.build(),
  processingGuarantee: "exactly_once",
  commitIntervalMs: 100,
});
