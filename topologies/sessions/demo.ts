// `make demo EXAMPLE=sessions`: about 3½ hours of simulated clickstream, ending now, replayed at 15 clicks a
// second; prints each closed session's summary and each minute's active users as they become final.
import { runDemo } from "../lib/demo.ts";
import { topics, type ActiveUsers, type SessionSummary } from "./app.ts";

const time = (iso: string) => iso.slice(11, 19);

await runDemo({
  example: "sessions",
  topics: [
    { name: topics.clicks, partitions: 3 },
    { name: topics.summaries, partitions: 3 },
    { name: topics.activeUsers, partitions: 1 },
  ],
  generatorArgs: ["--count", "4000", "--rate", "15"],
  outputTopics: [topics.summaries, topics.activeUsers],
  format: (r) => {
    if (r.topic === topics.activeUsers) {
      const a = JSON.parse(r.value?.toString() ?? "null") as ActiveUsers;
      return `minute ${time(a.minute)}  active users ${String(a.activeUsers).padStart(3)}  clicks ${a.clicks}`;
    }
    const s = JSON.parse(r.value?.toString() ?? "null") as SessionSummary;
    const minutes = (s.durationSeconds / 60).toFixed(1);
    return `session  ${s.userId} ${time(s.start)}–${time(s.end)} (${minutes} min)  ${s.events} clicks, ${s.pageViews} page views, ${s.distinctPages} distinct pages${s.converted ? "  CONVERTED" : ""}`;
  },
});
