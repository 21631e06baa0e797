// The bytes of one key's NFA state in its store and changelog: compact JSON, each event as the base64
// of the events' own serde (so any event type the stream can carry can wait in a partial match).
import type { Serde } from "../serdes/serde.ts";
import type { BufferedEvent, NfaState, Run } from "./nfa.ts";

/** [seq, events, runs]; an event is [seq, timestamp, base64]; a run is [stage, count, start, greedyOf, stage, seq, stage, seq, …]. */
type Encoded = [number, [number, number, string][], number[][]];

export function nfaStateSerde<T>(events: Serde<T>): Serde<NfaState<T>> {
  return {
    name: `cep-state(${events.name})`,
    serialize(state, topic) {
      const encoded: Encoded = [
        state.seq,
        state.events.map((e) => [e.seq, e.timestamp, events.serialize(e.value, topic).toString("base64")]),
        state.runs.map((r) => [r.stage, r.count, r.start, r.greedyOf, ...r.taken.flat()]),
      ];
      return Buffer.from(JSON.stringify(encoded), "utf8");
    },
    deserialize(data, topic) {
      const [seq, buffered, runs] = JSON.parse(data.toString("utf8")) as Encoded;
      return {
        seq,
        events: buffered.map(([s, timestamp, value]): BufferedEvent<T> => ({ seq: s, timestamp, value: events.deserialize(Buffer.from(value, "base64"), topic) })),
        runs: runs.map(decodeRun),
      };
    },
  };
}

function decodeRun(encoded: number[]): Run {
  const [stage, count, start, greedyOf] = encoded as [number, number, number, number];
  const taken: [number, number][] = [];
  for (let i = 4; i < encoded.length; i += 2) taken.push([encoded[i]!, encoded[i + 1]!]);
  return { stage, count, start, greedyOf, taken };
}
