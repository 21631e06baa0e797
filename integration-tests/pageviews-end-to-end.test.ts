// The first topology end to end: 10,000 page views through `weir run` on the real broker.
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { readTopic, TopicWriter } from "../src/kafka/tools.ts";
import { pageViews } from "../topologies/pageviews/generate.ts";
import { connection, killAll, startWeir, TestTopics, uniqueName } from "./helpers/cluster.ts";

const topics = new TestTopics();
after(async () => {
  await killAll();
  await topics.drop();
});

test("weir run transforms each of 10,000 page views exactly as the topology says", async () => {
  const input = await topics.create("pageviews", 3);
  const output = await topics.create("pageviews-clean", 3);
  const views = pageViews(10_000, 7);

  const writer = new TopicWriter(connection());
  await writer.connect();
  await writer.write(input, views.map((v) => ({ key: v.userId, value: JSON.stringify(v) })));
  await writer.close();

  // What the topology says, written out independently: no bots, no negative durations,
  // key = host + lower-cased path, seconds rounded to one decimal, the query string gone.
  const expected = views
    .filter((v) => !/bot|crawler|spider/i.test(v.userAgent) && v.durationMs >= 0)
    .map((v) => {
      const url = new URL(v.url);
      const path = url.pathname.toLowerCase();
      return `${url.hostname}${path}|${JSON.stringify({ userId: v.userId, host: url.hostname, path, seconds: Math.round(v.durationMs / 100) / 10 })}`;
    })
    .sort();
  assert.ok(expected.length > 5000 && expected.length < 10_000, "the generator mixes kept and dropped views");

  const app = startWeir(["run", "topologies/pageviews"], {
    PAGEVIEWS_INPUT_TOPIC: input,
    PAGEVIEWS_OUTPUT_TOPIC: output,
    WEIR_APPLICATION_ID: uniqueName("pageviews-it"),
    WEIR_COMMIT_INTERVAL_MS: "500",
  });
  const first = await readTopic(connection(), output, { count: expected.length, timeoutMs: 60_000 });
  assert.equal(first.length, expected.length, `expected ${expected.length} output records; stderr:\n${app.stderr().slice(-3000)}`);
  // Records past the expected count would be a bug too: read the whole topic again once it is quiet.
  const settled = await readTopic(connection(), output, { timeoutMs: 2000 });
  const actual = settled.map((r) => `${r.key?.toString()}|${r.value?.toString()}`).sort();
  assert.deepEqual(actual, expected);

  app.child.kill("SIGTERM");
  assert.equal(await app.exited(30_000), 0, "SIGTERM stops the app cleanly");
});

test("weir run fails fast, naming the input topic and the command that creates it, when it does not exist", async () => {
  const output = await topics.create("pageviews-clean", 1);
  const missing = uniqueName("no-such-topic");
  const app = startWeir(["run", "topologies/pageviews"], {
    PAGEVIEWS_INPUT_TOPIC: missing,
    PAGEVIEWS_OUTPUT_TOPIC: output,
    WEIR_APPLICATION_ID: uniqueName("pageviews-missing"),
  });
  assert.equal(await app.exited(30_000), 3, "exit code 3 means a topic is missing");
  assert.match(app.stderr(), new RegExp(`WEIR_TOPIC_MISSING: source topic "${missing}" does not exist`));
  // …and saying how to create it.
  assert.match(app.stderr(), new RegExp(`\`weir topics create ${missing}\` creates it, or \`weir topics create --for <module>\` every topic the topology reads or writes`));
});
