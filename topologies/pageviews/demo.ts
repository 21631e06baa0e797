// `make demo EXAMPLE=pageviews`: page views flowing through the cleaning topology, printed live.
import { runDemo } from "../lib/demo.ts";
import { topics } from "./app.ts";

await runDemo({
  example: "pageviews",
  topics: [
    { name: topics.input, partitions: 3 },
    { name: topics.output, partitions: 3 },
  ],
  generatorArgs: ["--count", "100000000", "--rate", "20"],
  outputTopics: [topics.output],
  format: (r) => `${r.key?.toString() ?? "null"} → ${r.value?.toString() ?? "null"}`,
});
