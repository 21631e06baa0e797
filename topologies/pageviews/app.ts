// Page views: drop bot traffic and malformed views, and turn each view into a clean record keyed by page.
import { StreamsBuilder, app, serdes, type KStream } from "weir-streams";

export interface PageView {
  readonly userId: string;
  readonly url: string;
  readonly userAgent: string;
  readonly durationMs: number;
}

export interface CleanView {
  readonly userId: string;
  readonly host: string;
  readonly path: string;
  readonly seconds: number;
}

export const topics = {
  input: process.env.PAGEVIEWS_INPUT_TOPIC ?? "pageviews",
  output: process.env.PAGEVIEWS_OUTPUT_TOPIC ?? "pageviews-clean",
};

const bots = /bot|crawler|spider/i;

/** The clean views of `input`, keyed by page (`<host><path>`): what this topology writes to its output. */
export function cleanViews(builder: StreamsBuilder, input: string): KStream<string, CleanView> {
  return builder
    .stream(input, { key: serdes.string(), value: serdes.json<PageView>() })
    .filterNot((_, view) => bots.test(view.userAgent), { name: "drop-bots" })
    .filter((_, view) => view.durationMs >= 0, { name: "drop-negative-durations" })
    .mapValues((view) => {
      const url = new URL(view.url);
      return { userId: view.userId, host: url.hostname, path: url.pathname.toLowerCase(), seconds: Math.round(view.durationMs / 100) / 10 };
    }, { name: "clean" })
    .map((_, view): [string, CleanView] => [`${view.host}${view.path}`, view], { name: "key-by-page" });
}

export function buildTopology(input = topics.input, output = topics.output) {
  const builder = new StreamsBuilder();
  cleanViews(builder, input).to(output, { key: serdes.string(), value: serdes.json<CleanView>() });
  return builder.build();
}

export default app({ applicationId: process.env.PAGEVIEWS_APPLICATION_ID ?? "pageviews", topology: buildTopology() });
