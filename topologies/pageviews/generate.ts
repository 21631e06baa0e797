// Seeded page-view generator: realistic users, hosts and paths, with a share of bots and broken views.
import { fileURLToPath } from "node:url";
import { SeededRandom } from "../lib/random.ts";
import { parseGeneratorArgs, runGenerator } from "../lib/generator-cli.ts";
import { topics, type PageView } from "./app.ts";

const hosts = ["shop.example.com", "blog.example.com", "docs.example.com"];
const paths = ["/", "/Products", "/products/42", "/Cart", "/checkout", "/Blog/Kafka-Streams", "/docs/Getting-Started", "/pricing"];
const agents = ["Mozilla/5.0 (X11; Linux x86_64)", "Mozilla/5.0 (Macintosh)", "Mozilla/5.0 (iPhone)", "Googlebot/2.1", "AhrefsBot/7.0"];

/** The seeded sequence of page views, produced lazily: same seed, same views. */
export function* pageViewSequence(seed: number): Generator<PageView> {
  const random = new SeededRandom(seed);
  for (;;) {
    yield {
      userId: `user-${random.int(1, 200)}`,
      url: `https://${random.pick(hosts)}${random.pick(paths)}?ref=${random.int(0, 5)}`,
      userAgent: random.pick(agents),
      durationMs: random.chance(0.02) ? -1 : random.int(50, 120000),
    };
  }
}

export function pageViews(count: number, seed: number): PageView[] {
  const views: PageView[] = [];
  for (const view of pageViewSequence(seed)) {
    if (views.length === count) break;
    views.push(view);
  }
  return views;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const options = parseGeneratorArgs(process.argv.slice(2), topics.input);
  const views = pageViewSequence(options.seed);
  await runGenerator(options, () => {
    const view = views.next().value as PageView;
    return { key: view.userId, value: JSON.stringify(view) };
  });
}
