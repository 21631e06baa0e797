// Fills index.html every 2 s from this instance's /topology, /tasks and /metrics: the topology as an SVG graph,
// the tasks of every instance (status and lag as each reports it), lag per partition, and records/s from the
// Prometheus counters. Same origin only.

const refreshMs = 2000;
const windowMs = 5 * 60 * 1000;
const svgNs = "http://www.w3.org/2000/svg";
const counters = { consumed: "weir_records_consumed_total", produced: "weir_records_produced_total" };
const formatNumber = new Intl.NumberFormat();

/** Builds an element; strings among `children` become text nodes (never HTML: topic names come from users). */
function h(tag, attrs = {}, ...children) {
  const node = tag.startsWith("svg:") ? document.createElementNS(svgNs, tag.slice(4)) : document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) if (value !== undefined && value !== null) node.setAttribute(name, String(value));
  node.append(...children.flat(Infinity).filter((c) => c !== null && c !== undefined && c !== false).map((c) => (typeof c === "object" ? c : String(c))));
  return node;
}

const $ = (selector) => document.querySelector(selector);
const fmt = (n) => (n === null || n === undefined ? "—" : formatNumber.format(n));
const clip = (text, max) => (text.length > max ? `${text.slice(0, max - 1)}…` : text);

// ---- Topology: one SVG per sub-topology, nodes layered top-down by their longest path from a source.

const box = { minWidth: 200, maxWidth: 420, hGap: 28, vGap: 34, margin: 12, line: 16, pad: 10 };
const fonts = { name: '600 12px ui-monospace, "DejaVu Sans Mono", Menlo, Consolas, monospace', text: '12px system-ui, "DejaVu Sans", sans-serif' };
const measure = document.createElement("canvas").getContext("2d");
const textWidth = (text, font) => ((measure.font = font), measure.measureText(text).width);
let shownTopology = "";

function renderTopology(topology) {
  $("#application-id").textContent = topology.applicationId;
  const json = JSON.stringify(topology.subTopologies);
  if (json === shownTopology) return; // redraw only on change, so a hovered tooltip survives the refresh
  shownTopology = json;
  $("#topology").replaceChildren(...topology.subTopologies.map(drawSubTopology));
  $("#topology-text").textContent = topology.text;
}

function drawSubTopology(sub) {
  const byName = new Map(sub.nodes.map((n) => [n.name, n]));
  const parents = new Map(sub.nodes.map((n) => [n.name, []]));
  for (const n of sub.nodes) for (const c of n.children) parents.get(c)?.push(n.name);

  const depth = new Map();
  const depthOf = (name, seen = new Set()) => {
    if (depth.has(name)) return depth.get(name);
    if (seen.has(name)) return 0; // a cycle cannot happen in a topology; do not loop if it does
    seen.add(name);
    const d = Math.max(-1, ...parents.get(name).map((p) => depthOf(p, seen))) + 1;
    depth.set(name, d);
    return d;
  };
  const layers = [];
  for (const n of sub.nodes) (layers[depthOf(n.name)] ??= []).push(n);

  // Within a layer, order nodes by their parents' mean position, which keeps most edges from crossing.
  const position = new Map();
  for (const layer of layers) {
    const meanParent = (n) => {
      const ps = parents.get(n.name).filter((p) => position.has(p));
      return ps.length === 0 ? 0 : ps.reduce((s, p) => s + position.get(p), 0) / ps.length;
    };
    layer.sort((a, b) => meanParent(a) - meanParent(b));
    layer.forEach((n, i) => position.set(n.name, i));
  }

  const lines = (n) => [...n.topics.map((t) => ({ cls: "topic", text: `topic ${t}` })), ...n.stores.map((s) => ({ cls: "store", text: `store ${s}` }))];
  const heightOf = (n) => box.pad * 2 + box.line * (2 + lines(n).length);
  // One width for the sub-topology's boxes: its longest label, within bounds (longer labels are clipped; the tooltip has them).
  const longest = Math.max(...sub.nodes.flatMap((n) => [textWidth(n.name, fonts.name), ...lines(n).map((l) => textWidth(l.text, fonts.text))]));
  const boxWidth = Math.round(Math.min(box.maxWidth, Math.max(box.minWidth, longest + box.pad * 2 + 8)));
  const maxChars = Math.floor((box.maxWidth - box.pad * 2 - 8) / 7.3);
  const widest = Math.max(...layers.map((l) => l.length));
  const width = box.margin * 2 + widest * boxWidth + (widest - 1) * box.hGap;
  const place = new Map();
  let y = box.margin;
  for (const layer of layers) {
    const rowWidth = layer.length * boxWidth + (layer.length - 1) * box.hGap;
    const rowHeight = Math.max(...layer.map(heightOf));
    layer.forEach((n, i) => place.set(n.name, { x: (width - rowWidth) / 2 + i * (boxWidth + box.hGap), y, h: heightOf(n) }));
    y += rowHeight + box.vGap;
  }
  const height = y - box.vGap + box.margin;

  const arrowId = `arrow-${sub.id}`;
  const edges = sub.nodes.flatMap((n) =>
    n.children.filter((c) => byName.has(c)).map((c) => {
      const from = place.get(n.name);
      const to = place.get(c);
      const [x1, y1, x2, y2] = [from.x + boxWidth / 2, from.y + from.h, to.x + boxWidth / 2, to.y - 2];
      const mid = (y1 + y2) / 2;
      return h("svg:path", { class: "edge", d: `M${x1},${y1} C${x1},${mid} ${x2},${mid} ${x2},${y2}`, "marker-end": `url(#${arrowId})` });
    }),
  );
  const nodes = sub.nodes.map((n) => {
    const { x, y: top, h: nodeHeight } = place.get(n.name);
    const text = (cls, row, value, max) =>
      h("svg:text", { class: cls, x: x + box.pad + 4, y: top + box.pad + box.line * row + 12 }, clip(value, max));
    const detail = [`${n.kind} ${n.name}`, ...lines(n).map((l) => l.text)].join("\n");
    return h("svg:g", { class: `node ${n.kind}`, "data-node": n.name },
      h("svg:title", {}, detail),
      h("svg:rect", { x, y: top, width: boxWidth, height: nodeHeight, rx: 6 }),
      h("svg:rect", { class: "stripe", x, y: top, width: 4, height: nodeHeight, rx: 2 }),
      text("kind", 0, n.kind.toUpperCase(), maxChars),
      text("name", 1, n.name, maxChars),
      lines(n).map((l, i) => text(l.cls, 2 + i, l.text, maxChars)),
    );
  });

  const title = `Sub-topology ${sub.id}`;
  return h("figure", { class: "sub-topology" },
    h("figcaption", { id: `sub-${sub.id}` }, title),
    h("svg:svg", { viewBox: `0 0 ${width} ${height}`, width, height, role: "img", "aria-labelledby": `sub-${sub.id}` },
      h("svg:defs", {},
        h("svg:marker", { id: arrowId, viewBox: "0 0 10 10", refX: 9, refY: 5, markerWidth: 7, markerHeight: 7, orient: "auto-start-reverse" },
          h("svg:path", { class: "arrowhead", d: "M0,0 L10,5 L0,10 z" }))),
      edges,
      nodes,
    ),
  );
}

// ---- Tasks: every instance's tasks, with status and lag; /tasks asks the other instances for theirs.

function renderTasks(view) {
  $("#instance").textContent = view.instance;
  setState(view.state);
  const local = new Map(view.tasks.map((t) => [t.id, t]));
  const instances = view.instances.some((i) => i.instance === view.instance)
    ? [...view.instances].sort((a, b) => (a.instance === view.instance ? -1 : b.instance === view.instance ? 1 : a.instance.localeCompare(b.instance)))
    : [{ instance: view.instance, applicationServer: null, tasks: view.tasks.map((t) => t.id) }, ...view.instances];

  const rows = [];
  for (const member of instances) {
    const isLocal = member.instance === view.instance;
    const reported = isLocal ? local : new Map((member.snapshots ?? []).map((t) => [t.id, t]));
    const ids = isLocal ? [...new Set([...local.keys(), ...member.tasks])] : [...new Set([...member.tasks, ...reported.keys()])].filter((id) => !local.has(id));
    for (const id of ids.sort(byTaskId)) {
      const task = reported.get(id);
      const who = member.applicationServer && !isLocal
        ? h("a", { href: `http://${member.applicationServer}/` }, member.instance)
        : member.instance;
      const unknown = member.error ? `not answering: ${member.error}` : "not reported by that instance";
      rows.push(h("tr", { "data-task": id, class: isLocal ? "local" : "remote" },
        h("td", {}, who, isLocal ? h("span", { class: "muted" }, " (this)") : null),
        h("th", { scope: "row" }, id),
        h("td", {}, task ? h("span", { class: `status ${task.status}` }, task.status) : h("span", { class: "muted", title: unknown }, "unknown")),
        h("td", { class: "partitions" }, task ? task.partitions.map((p) => h("span", { class: "partition" }, `${p.topic}-${p.partition}`)) : "—"),
        h("td", { class: "num" }, task ? fmt(totalLag(task)) : "—"),
      ));
    }
    // This instance's standby tasks (numStandbyReplicas > 0): their changelog partitions and their lag.
    for (const standby of isLocal ? [...(view.standbys ?? [])].sort((a, b) => byTaskId(a.id, b.id)) : []) {
      rows.push(h("tr", { "data-standby": standby.id, class: "local standby" },
        h("td", {}, member.instance, h("span", { class: "muted" }, " (this)")),
        h("th", { scope: "row" }, standby.id),
        h("td", {}, h("span", { class: "status standby" }, "standby")),
        h("td", { class: "partitions" }, Object.keys(standby.checkpoint ?? {}).map((key) => h("span", { class: "partition" }, key.replace(/:(\d+)$/, "-$1")))),
        h("td", { class: "num" }, standby.lag === null ? "—" : fmt(standby.lag)),
      ));
    }
  }
  if (rows.length === 0) rows.push(h("tr", {}, h("td", { colspan: 5, class: "muted" }, "No tasks assigned yet.")));
  $("#tasks tbody").replaceChildren(...rows);
  renderLag(view.tasks);
}

function renderLag(tasks) {
  const partitions = tasks.flatMap((t) => t.partitions.map((p) => ({ ...p, task: t.id })));
  partitions.sort((a, b) => a.topic.localeCompare(b.topic) || a.partition - b.partition);
  const maxLag = Math.max(1, ...partitions.map((p) => p.lag ?? 0));
  const rows = partitions.map((p) =>
    h("tr", { "data-partition": `${p.topic}-${p.partition}` },
      h("th", { scope: "row" }, p.topic),
      h("td", { class: "num" }, p.partition),
      h("td", { class: "mono" }, p.task),
      h("td", { class: "num" }, p.committedOffset ?? "—"),
      h("td", { class: "num" }, p.highWatermark ?? "—"),
      h("td", { class: "num lag" },
        p.lag === null ? "—" : h("span", { class: p.lag === 0 ? "caught-up" : "" }, fmt(p.lag)),
        h("span", { class: "track", "aria-hidden": "true" }, h("span", { class: "bar", style: `width:${p.lag ? Math.max(3, (100 * p.lag) / maxLag) : 0}%` }))),
    ),
  );
  if (rows.length === 0) rows.push(h("tr", {}, h("td", { colspan: 6, class: "muted" }, "This instance reads no partitions yet.")));
  $("#lag tbody").replaceChildren(...rows);
}

function totalLag(task) {
  const lags = task.partitions.map((p) => p.lag);
  return lags.length === 0 || lags.includes(null) ? null : lags.reduce((s, l) => s + l, 0);
}

/** "0_10" after "0_2": sub-topology, then partition, numerically. */
function byTaskId(a, b) {
  const [sa, pa] = a.split("_").map(Number);
  const [sb, pb] = b.split("_").map(Number);
  return sa - sb || pa - pb || a.localeCompare(b);
}

function setState(state) {
  const el = $("#state");
  el.textContent = state;
  el.className = `state ${state}`;
}

// ---- Throughput: counter totals every refresh, turned into records/s between consecutive scrapes.

const totals = []; // { t, consumed, produced } as scraped
const rates = []; // { t, consumed, produced } in records/s

/** Sums every sample of the named metrics in Prometheus' text format (labels and timestamps ignored). */
function sumSamples(text, names) {
  const sums = Object.fromEntries(names.map((n) => [n, 0]));
  for (const line of text.split("\n")) {
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{.*\})?\s+(\S+)/.exec(line);
    if (!match || !(match[1] in sums)) continue;
    const value = Number(match[2]);
    if (Number.isFinite(value)) sums[match[1]] += value;
  }
  return sums;
}

function recordMetrics(text, now) {
  const sums = sumSamples(text, Object.values(counters));
  const current = { t: now, consumed: sums[counters.consumed], produced: sums[counters.produced] };
  const previous = totals.at(-1);
  totals.splice(0, totals.length, current);
  if (previous) {
    const seconds = (now - previous.t) / 1000;
    // A counter that went down was reset (the process restarted): its whole value is the increase, as in PromQL.
    const rate = (key) => (current[key] >= previous[key] ? current[key] - previous[key] : current[key]) / seconds;
    rates.push({ t: now, consumed: rate("consumed"), produced: rate("produced") });
  }
  while (rates.length > 0 && rates[0].t < now - windowMs) rates.shift();
  renderThroughput(now);
}

function renderThroughput(now) {
  const [w, hgt, left, right, top, bottom] = [900, 200, 56, 14, 12, 24];
  const peak = Math.max(0, ...rates.flatMap((r) => [r.consumed, r.produced]));
  const yMax = niceCeiling(Math.max(1, peak));
  const x = (t) => left + ((t - (now - windowMs)) / windowMs) * (w - left - right);
  const y = (v) => top + (1 - v / yMax) * (hgt - top - bottom);
  const grid = [0, yMax / 2, yMax].map((v) => [
    h("svg:line", { class: "grid", x1: left, x2: w - right, y1: y(v), y2: y(v) }),
    h("svg:text", { class: "axis", x: left - 6, y: y(v) + 4, "text-anchor": "end" }, fmt(Math.round(v))),
  ]);
  const ticks = [5, 4, 3, 2, 1, 0].map((m) =>
    h("svg:text", { class: "axis", x: x(now - m * 60_000), y: hgt - 6, "text-anchor": m === 0 ? "end" : "middle" }, m === 0 ? "now" : `−${m} min`));
  const line = (key) => h("svg:polyline", { class: `series ${key}`, points: rates.map((r) => `${x(r.t).toFixed(1)},${y(r[key]).toFixed(1)}`).join(" ") });
  const last = rates.at(-1);
  const legend = (key, label) =>
    h("span", { class: `legend ${key}` }, h("span", { class: "swatch", "aria-hidden": "true" }), `${label} `, h("strong", {}, last ? fmt(Math.round(last[key])) : "—"), "/s");
  $("#throughput").replaceChildren(
    h("p", { class: "legends" }, legend("consumed", "consumed"), legend("produced", "produced"), rates.length < 2 ? h("span", { class: "muted" }, "collecting samples…") : null),
    h("svg:svg", { viewBox: `0 0 ${w} ${hgt}`, "data-points": rates.length, "data-peak": peak.toFixed(1), role: "img", "aria-label": `Records per second over the last 5 minutes; now ${last ? Math.round(last.consumed) : "unknown"} consumed, ${last ? Math.round(last.produced) : "unknown"} produced` },
      grid, ticks, line("consumed"), line("produced")),
  );
}

/** 1, 2 or 5 times a power of ten, at least `v`: axis labels people can read. */
function niceCeiling(v) {
  const power = 10 ** Math.floor(Math.log10(v));
  return [1, 2, 5, 10].map((m) => m * power).find((n) => n >= v);
}

// ---- The refresh loop: one round at a time, the next one 2 s after the last ended.

async function fetchOk(path, as) {
  const response = await fetch(path, { cache: "no-store", signal: AbortSignal.timeout(refreshMs * 2) });
  if (!response.ok) throw new Error(`${path}: HTTP ${response.status}`);
  return as === "json" ? response.json() : response.text();
}

async function refresh() {
  const [topology, tasks, metrics] = await Promise.allSettled([fetchOk("topology", "json"), fetchOk("tasks", "json"), fetchOk("metrics", "text")]);
  const now = Date.now();
  const failures = [];
  for (const [result, render] of [[topology, renderTopology], [tasks, renderTasks], [metrics, (text) => recordMetrics(text, now)]]) {
    if (result.status === "rejected") {
      failures.push(result.reason instanceof Error ? result.reason.message : String(result.reason));
      continue;
    }
    try {
      render(result.value);
    } catch (error) {
      failures.push(`could not show the answer: ${error instanceof Error ? error.message : String(error)}`);
      console.error(error);
    }
  }
  const error = $("#error");
  error.hidden = failures.length === 0;
  error.textContent = failures.length === 0 ? "" : `Cannot read the instance (${failures.join("; ")}); retrying every ${refreshMs / 1000} s.`;
  if (tasks.status === "rejected") setState("unreachable");
  else $("#updated").textContent = new Date(now).toLocaleTimeString();
  setTimeout(() => void refresh(), refreshMs);
}

void refresh();
