// Page views, cleaned as app.ts cleans them and written to the same output topic, and also counted per page
// into the queryable store `views-per-page` (GET /stores/views-per-page/keys/<host><path> on any instance).
// The compose stack (docker/compose.yaml) runs this one: its test asks one instance for pages the other owns.
import { StreamsBuilder, app, serdes } from "weir-streams";
import { cleanViews, topics, type CleanView } from "./app.ts";

export const VIEWS_PER_PAGE = "views-per-page";

export function buildTopology(input = topics.input, output = topics.output) {
  const builder = new StreamsBuilder();
  const views = cleanViews(builder, input);
  views.to(output, { key: serdes.string(), value: serdes.json<CleanView>() });
  // The page key was set by key-by-page: the counts go through the views-by-page repartition topic.
  views.groupByKey({ name: "views-by-page", key: serdes.string(), value: serdes.json<CleanView>() }).count({ store: VIEWS_PER_PAGE });
  return builder.build();
}

export default app({ applicationId: process.env.PAGEVIEWS_APPLICATION_ID ?? "pageviews", topology: buildTopology() });
