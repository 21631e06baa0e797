// The dashboard at / of a running app, in headless Chromium: every topology node is drawn, every task of the
// instance is a row with its status, the app's state is shown, and the page asks nothing of any other origin.
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium, type BrowserContext } from "playwright-core";
import { TopicWriter } from "../src/kafka/tools.ts";
import { connection, eventually, killAll, root, startWeir, TestTopics, uniqueName, type WeirProcess } from "./helpers/cluster.ts";
import { paymentRecords, payments } from "./helpers/payments.ts";

const chromiumPath = "/usr/bin/chromium";
const topics = new TestTopics();
const userDataDir = mkdtempSync(join(tmpdir(), "weir-chromium-"));
let browser: BrowserContext | undefined;
let writer: TopicWriter | undefined;

after(async () => {
  await browser?.close();
  await writer?.close();
  await killAll();
  await topics.drop();
  rmSync(userDataDir, { recursive: true, force: true });
});

interface TopologyJson {
  readonly subTopologies: readonly { readonly nodes: readonly { readonly name: string }[] }[];
}
interface TasksJson {
  readonly state: string;
  readonly tasks: readonly { readonly id: string; readonly status: string }[];
}

/** A port nothing listens on right now: the kernel's pick for 127.0.0.1:0. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => server.once("error", reject).listen(0, "127.0.0.1", resolve));
  const address = server.address();
  await new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())));
  if (typeof address !== "object" || address === null) throw new Error("127.0.0.1:0 gave no port");
  return address.port;
}

async function getJson<T>(url: string): Promise<T> {
  const response = await fetch(url);
  assert.equal(response.status, 200, `GET ${url} answers 200`);
  return (await response.json()) as T;
}

/** Waits for GET <base>/ready to answer 200; fails at once, with the app's stderr, if the app exits first. */
async function waitReady(weir: WeirProcess, base: string): Promise<void> {
  await eventually(`GET ${base}/ready to answer 200`, 90_000, async () => {
    if (!weir.running()) throw new Error(`weir exited before it was ready; stderr ends:\n${weir.stderr().slice(-4000)}`);
    try {
      return (await fetch(`${base}/ready`)).status === 200;
    } catch {
      return false; // not listening yet
    }
  });
}

test("the dashboard shows every topology node, every task of the instance as running, and the app's state", { timeout: 240_000 }, async (t) => {
  assert.ok(existsSync(chromiumPath), `${chromiumPath} is missing: run scripts/chromium.sh (it installs Debian's chromium), then run this test again`);

  const input = await topics.create("dashboard-payments", 3);
  const output = await topics.create("dashboard-totals", 3);
  const applicationId = uniqueName("dashboard");
  topics.adopt(`${applicationId}-totals-changelog`);
  // 2,000 records wait for the app; the other 3,000 arrive while the page is open, so the chart has something to show.
  const records = paymentRecords(payments({ count: 5_000, keys: 100, seed: 51 }));
  writer = new TopicWriter(connection());
  await writer.connect();
  await writer.write(input, records.slice(0, 2_000));

  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const weir = startWeir(["run", "integration-tests/apps/count-and-sum.ts"], {
    COUNT_INPUT_TOPIC: input,
    COUNT_OUTPUT_TOPIC: output,
    WEIR_APPLICATION_ID: applicationId,
    WEIR_HTTP_PORT: String(port),
    WEIR_HTTP_HOST: "127.0.0.1",
  });
  await waitReady(weir, base);
  // Ready means restored and running; the three tasks (one per input partition) should all say so.
  await eventually("/tasks to list 3 running tasks", 30_000, async () => {
    const tasks = await getJson<TasksJson>(`${base}/tasks`);
    return tasks.state === "running" && tasks.tasks.length === 3 && tasks.tasks.every((task) => task.status === "running");
  });
  const topology = await getJson<TopologyJson>(`${base}/topology`);
  const nodeNames = topology.subTopologies.flatMap((sub) => sub.nodes.map((n) => n.name)).sort();
  assert.ok(nodeNames.length >= 4, `count-and-sum has a source, an aggregate, a toStream and a sink; /topology lists ${nodeNames.join(", ")}`);

  browser = await chromium.launchPersistentContext(userDataDir, {
    executablePath: chromiumPath,
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--no-first-run", "--disable-sync"],
    viewport: { width: 1280, height: 900 },
  });
  const page = browser.pages()[0] ?? (await browser.newPage());
  const problems: string[] = [];
  const otherOrigins: string[] = [];
  page.on("pageerror", (error) => problems.push(`page error: ${error.message}`));
  page.on("console", (message) => {
    if (message.type() === "error") problems.push(`console error: ${message.text()}`);
  });
  page.on("request", (request) => {
    const url = request.url();
    if (!url.startsWith(`${base}/`) && !url.startsWith("data:")) otherOrigins.push(url);
  });
  await page.goto(`${base}/`);

  const drawnNodes = page.locator("#topology [data-node]");
  await page.waitForFunction(`document.querySelectorAll("#topology [data-node]").length >= ${nodeNames.length}`, null, { timeout: 15_000 });
  const drawn = (await Promise.all((await drawnNodes.all()).map((node) => node.getAttribute("data-node")))).sort();
  assert.deepEqual(drawn, nodeNames, "one [data-node] element per node of /topology");

  for (let i = 2_000; i < records.length; i += 500) {
    await writer.write(input, records.slice(i, i + 500));
    await page.waitForTimeout(700);
  }
  // The chart's points are the differences between scrapes of the counters in /metrics, every 2 s.
  await page.waitForFunction(`Number(document.querySelector("#throughput svg")?.dataset.peak) > 0`, null, { timeout: 15_000 });

  // The page refreshes every 2 s: compare with /tasks until they agree (or show the last difference after 10 s).
  const byId = (a: { id: string }, b: { id: string }) => a.id.localeCompare(b.id);
  let shown: { id: string | null; status: string | null }[];
  let expected: { id: string; status: string }[];
  const deadline = Date.now() + 10_000;
  do {
    expected = (await getJson<TasksJson>(`${base}/tasks`)).tasks.map((task) => ({ id: task.id, status: task.status })).sort(byId);
    const rows = await page.locator("#tasks tbody tr[data-task]").all();
    shown = await Promise.all(rows.map(async (row) => ({ id: await row.getAttribute("data-task"), status: (await row.locator(":scope > :nth-child(3)").textContent())?.trim() ?? null })));
    shown.sort((a, b) => (a.id ?? "").localeCompare(b.id ?? ""));
    if (JSON.stringify(shown) === JSON.stringify(expected)) break;
    await page.waitForTimeout(500);
  } while (Date.now() < deadline);
  assert.deepEqual(shown, expected, "#tasks has one row per task of /tasks, with its status");
  assert.ok(shown.every((task) => task.status === "running"), `every task is running: ${JSON.stringify(shown)}`);

  assert.equal((await page.textContent("#state"))?.trim(), "running", "#state says running");
  await page.waitForTimeout(4_000); // a few more points, and the lag of the last writes gone, for the screenshot

  const screenshot = join(root, "test-results", "dashboard.png");
  mkdirSync(join(root, "test-results"), { recursive: true });
  await page.screenshot({ path: screenshot, fullPage: true });
  t.diagnostic(`screenshot: ${screenshot}`);

  assert.deepEqual(problems, [], "no script errors on the page");
  assert.deepEqual(otherOrigins, [], "the page loads nothing from another origin");

  await browser.close();
  browser = undefined;
  weir.child.kill("SIGTERM");
  assert.equal(await weir.exited(30_000), 0, `weir exits 0 on SIGTERM; stderr ends:\n${weir.stderr().slice(-4000)}`);
});
