// __NAME__: counts the words of the sentences on `__NAME__-sentences`. Every new count goes to
// `__NAME__-word-counts`, and the latest count of each word can be queried in the store `word-counts`.
import { StreamsBuilder, app, serdes } from "weir-streams";

export const topics = {
  sentences: "__NAME__-sentences",
  wordCounts: "__NAME__-word-counts",
};

export function buildTopology() {
  const builder = new StreamsBuilder();
  builder
    .stream(topics.sentences, { key: serdes.string(), value: serdes.string() })
    .flatMapValues((sentence) => sentence.toLowerCase().split(/[^\p{L}\p{N}']+/u).filter((word) => word.length > 0), { name: "split-words" })
    // Re-keying by word goes through the repartition topic `__NAME__-by-word-repartition`, which Weir creates.
    .groupBy((_, word) => word, { name: "by-word", key: serdes.string(), value: serdes.string() })
    .count({ store: "word-counts" })
    .toStream()
    .to(topics.wordCounts, { key: serdes.string(), value: serdes.int64() });
  return builder.build();
}

// `weir run src/app.ts` (or `weir run dist/app.js` after `npm run build`) runs this app; settings such as the
// brokers come from the command line or WEIR_* variables (`weir run --help`).
export default app({ applicationId: "__NAME__", topology: buildTopology() });
