// ML features: user events → a per-user feature vector (counts and sums over 5 min / 1 h / 24 h, distinct
// items, time since the previous event), joined to the user's profile, kept in the queryable table
// `user-features` and written to the features topic on every change.
import { StreamsBuilder, app, serdes, type KeyValueStore, type KeyValueStoreRef, type Processor, type ProcessorContext, type StreamRecord } from "weir-streams";
import { UserFeatureProcessor, type LoggedEvent, type UserEvent, type UserFeatures, type UserState } from "./features.ts";

export type { EventType, UserEvent, UserFeatures, WindowFeatures } from "./features.ts";

export interface Profile {
  readonly country: string;
  /** YYYY-MM-DD. */
  readonly signupDate: string;
  readonly tier: "free" | "plus" | "pro";
}

/** What the table holds and the features topic carries. */
export interface FeatureRow extends UserFeatures {
  readonly profile: Profile | null;
  /** Whole days from the signup date (midnight UTC) to `asOf`; null without a profile. */
  readonly accountAgeDays: number | null;
}

export interface Topics {
  readonly events: string;
  readonly profiles: string;
  readonly features: string;
}

export const defaultTopics: Topics = {
  events: process.env.ML_FEATURES_EVENTS_TOPIC ?? "user-events",
  profiles: process.env.ML_FEATURES_PROFILES_TOPIC ?? "user-profiles",
  features: process.env.ML_FEATURES_FEATURES_TOPIC ?? "user-features",
};

/** The queryable table: `GET /stores/user-features/keys/<user>`. */
export const featureTable = "user-features";

const dayMs = 86_400_000;

export function withProfile(features: UserFeatures, profile: Profile | null): FeatureRow {
  const accountAgeDays = profile === null ? null : Math.floor((features.asOf - Date.parse(`${profile.signupDate}T00:00:00Z`)) / dayMs);
  return { ...features, profile, accountAgeDays };
}

export function buildTopology(topics: Topics = defaultTopics) {
  const builder = new StreamsBuilder();
  const stores = {
    state: builder.addStateStore({ name: "ml-features-state", key: serdes.string(), value: serdes.json<UserState>() }),
    events: builder.addStateStore({ name: "ml-features-events", key: serdes.string(), value: serdes.json<LoggedEvent>() }),
    items: builder.addStateStore({ name: "ml-features-items", key: serdes.string(), value: serdes.json<number>() }),
  };
  const table = builder.addStateStore({ name: featureTable, key: serdes.string(), value: serdes.json<FeatureRow>() });
  // A global table: every instance holds every profile, loaded in full before any event is processed.
  const profiles = builder.globalTable(topics.profiles, { key: serdes.string(), value: serdes.json<Profile>(), store: "user-profiles" });

  builder
    .stream(topics.events, {
      name: "read-events",
      key: serdes.string(),
      value: serdes.json<UserEvent>(),
      // The event carries its own time; the record's timestamp is the producer's.
      timestampExtractor: (record) => (record.value as UserEvent).time,
    })
    .process(() => new UserFeatureProcessor(stores), { name: "compute-features", stores: [stores.state, stores.events, stores.items] })
    .leftJoin(profiles, (user) => user, (features, profile) => withProfile(features, profile), { name: "join-profile" })
    .process(() => new Materialize(table), { name: "materialize-features", stores: [table] })
    .to(topics.features, { name: "write-features", key: serdes.string(), value: serdes.json<FeatureRow>() });
  return builder.build();
}

/** Writes each row into the table and passes it on: the table always holds the last row emitted per user. */
class Materialize implements Processor<string, FeatureRow> {
  private readonly ref: KeyValueStoreRef<string, FeatureRow>;
  private context!: ProcessorContext<string, FeatureRow>;
  private table!: KeyValueStore<string, FeatureRow>;
  constructor(ref: KeyValueStoreRef<string, FeatureRow>) {
    this.ref = ref;
  }
  init(context: ProcessorContext<string, FeatureRow>): void {
    this.context = context;
    this.table = context.getStateStore(this.ref);
  }
  process(record: StreamRecord<string, FeatureRow>): void {
    this.table.put(record.key, record.value);
    this.context.forward(record);
  }
}

export default app({ applicationId: process.env.ML_FEATURES_APPLICATION_ID ?? "ml-features", topology: buildTopology() });
