package diff;

import com.fasterxml.jackson.databind.*;
import com.fasterxml.jackson.databind.node.*;
import org.apache.kafka.common.serialization.*;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.*;
import org.apache.kafka.streams.kstream.*;
import org.apache.kafka.streams.state.*;
import org.apache.kafka.streams.test.TestRecord;
import java.io.*;
import java.time.Duration;
import java.util.*;

public class Main {
  static final String STATE_DIR = tempDir();

  static String tempDir() {
    try {
      return java.nio.file.Files.createTempDirectory("ks-diff-state").toString();
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  static final ObjectMapper M = new ObjectMapper();
  static long p(JsonNode params, String name, long dflt) { return params != null && params.has(name) ? params.get(name).asLong() : dflt; }
  static <V> KStream<String, V> wkey(KTable<Windowed<String>, V> t) {
    return t.toStream().map((wk, v) -> KeyValue.pair(wk.key() + "@" + wk.window().start() + "/" + wk.window().end(), v));
  }
  static long mod3(Long v) { return v == null ? 9 : Math.floorMod(v, 3); }

  static String build(StreamsBuilder b, String topo, JsonNode params) {
    Serde<String> S = Serdes.String();
    Serde<Long> L = Serdes.Long();
    long size = p(params, "size", 10), adv = p(params, "advance", size), grace = p(params, "grace", 0), gap = p(params, "gap", 5), diff = p(params, "diff", 10);
    long limit = p(params, "limit", 5), hr = p(params, "hr", 20), jgrace = p(params, "jgrace", 0);
    Produced<String, Long> oL = Produced.with(S, L);
    Produced<String, String> oS = Produced.with(S, S);
    TimeWindows tw = TimeWindows.ofSizeAndGrace(Duration.ofMillis(size), Duration.ofMillis(grace)).advanceBy(Duration.ofMillis(adv));
    SessionWindows sw = SessionWindows.ofInactivityGapAndGrace(Duration.ofMillis(gap), Duration.ofMillis(grace));
    SlidingWindows slw = SlidingWindows.ofTimeDifferenceAndGrace(Duration.ofMillis(diff), Duration.ofMillis(grace));
    Suppressed<Object> sup = Suppressed.untilTimeLimit(Duration.ofMillis(limit), Suppressed.BufferConfig.unbounded());
    java.util.function.Supplier<KStream<String, Long>> in = () -> b.stream("in", Consumed.with(S, L));
    java.util.function.Supplier<KStream<String, Long>> in2 = () -> b.stream("in2", Consumed.with(S, L));
    java.util.function.Supplier<KTable<String, Long>> tin = () -> b.table("tin", Consumed.with(S, L));
    java.util.function.Supplier<KTable<String, Long>> vtin = () -> b.table("tin", Consumed.with(S, L),
        Materialized.<String, Long>as(Stores.persistentVersionedKeyValueStore("vt", Duration.ofMillis(hr))).withKeySerde(S).withValueSerde(L));
    switch (topo) {
      case "supCount": in.get().groupByKey().count().suppress(sup).toStream().to("out", oL); return "long";
      case "supReduce": in.get().groupByKey().reduce(Long::sum).suppress(sup).toStream().to("out", oL); return "long";
      case "supTable": tin.get().suppress(sup).toStream().to("out", oL); return "long";
      case "supTableCount": tin.get().groupBy((k, v) -> KeyValue.pair("g" + mod3(v), v), Grouped.with(S, L)).count().suppress(sup).toStream().to("out", oL); return "long";
      case "cogroup": {
        KGroupedStream<String, Long> g1 = in.get().groupByKey(), g2 = in2.get().groupByKey();
        g1.<String>cogroup((k, v, a) -> a + ",a" + v).cogroup(g2, (k, v, a) -> a + ",b" + v).aggregate(() -> "", Materialized.with(S, S)).toStream().to("out", oS); return "string"; }
      case "cogroupRekey": {
        KGroupedStream<String, Long> g1 = in.get().groupBy((k, v) -> "k" + mod3(v), Grouped.with(S, L)), g2 = in2.get().groupByKey();
        g1.<String>cogroup((k, v, a) -> a + ",a" + v).cogroup(g2, (k, v, a) -> a + ",b" + v).aggregate(() -> "", Materialized.with(S, S)).toStream().to("out", oS); return "string"; }
      case "cogroupWin": {
        KGroupedStream<String, Long> g1 = in.get().groupByKey(), g2 = in2.get().groupByKey();
        wkey(g1.<String>cogroup((k, v, a) -> a + ",a" + v).cogroup(g2, (k, v, a) -> a + ",b" + v).windowedBy(tw).aggregate(() -> "", Materialized.with(S, S))).to("out", oS); return "string"; }
      case "cogroupSlide": {
        KGroupedStream<String, Long> g1 = in.get().groupByKey(), g2 = in2.get().groupByKey();
        wkey(g1.<String>cogroup((k, v, a) -> a + ",a" + v).cogroup(g2, (k, v, a) -> a + ",b" + v).windowedBy(slw).aggregate(() -> "", Materialized.with(S, S))).to("out", oS); return "string"; }
      case "cogroupSess": {
        KGroupedStream<String, Long> g1 = in.get().groupByKey(), g2 = in2.get().groupByKey();
        wkey(g1.<String>cogroup((k, v, a) -> a + ",a" + v).cogroup(g2, (k, v, a) -> a + ",b" + v).windowedBy(sw).aggregate(() -> "", (k, a1, a2) -> a1 + "|" + a2, Materialized.with(S, S))).to("out", oS); return "string"; }
      case "sessAggPlain": wkey(in.get().groupByKey().windowedBy(sw).aggregate(() -> "", (k, v, a) -> a + ",a" + v, (k, a1, a2) -> a1 + "|" + a2, Materialized.with(S, S))).to("out", oS); return "string";
      case "vtableCount": vtin.get().groupBy((k, v) -> KeyValue.pair("g" + mod3(v), v), Grouped.with(S, L)).count().toStream().to("out", oL); return "long";
      case "vtableMapValues": vtin.get().mapValues(v -> v * 10).toStream().to("out", oL); return "long";
      case "supMax": in.get().groupByKey().count().suppress(Suppressed.untilTimeLimit(Duration.ofMillis(limit), Suppressed.BufferConfig.maxRecords(p(params, "maxrec", 2)).emitEarlyWhenFull())).toStream().to("out", oL); return "long";
      case "supFilter": tin.get().filter((k, v) -> v % 2 == 0).suppress(sup).toStream().to("out", oL); return "long";
      case "winSupLimit": wkey(in.get().groupByKey().windowedBy(tw).count().suppress(Suppressed.untilTimeLimit(Duration.ofMillis(limit), Suppressed.BufferConfig.unbounded()))).to("out", oL); return "long";
      case "selectKeyWin": wkey(in.get().selectKey((k, v) -> "g" + mod3(v)).groupByKey(Grouped.with(S, L)).windowedBy(tw).count()).to("out", oL); return "long";
      case "gjoin": in.get().join(b.globalTable("gin", Consumed.with(S, L)), (k, v) -> "k" + mod3(v), (v, g) -> v + "|" + g).to("out", oS); return "string";
      case "gleftJoin": in.get().leftJoin(b.globalTable("gin", Consumed.with(S, L)), (k, v) -> "k" + mod3(v), (v, g) -> v + "|" + g).to("out", oS); return "string";
      case "vttJoin": vtin.get().join(b.table("tin2", Consumed.with(S, L)), (a, c) -> a + "|" + c).toStream().to("out", oS); return "string";
      case "vttLeftJoin": vtin.get().leftJoin(b.table("tin2", Consumed.with(S, L)), (a, c) -> a + "|" + c).toStream().to("out", oS); return "string";
      case "vtoTableJoin": in2.get().join(in.get().toTable(Materialized.<String, Long>as(Stores.persistentVersionedKeyValueStore("vt2", Duration.ofMillis(hr))).withKeySerde(S).withValueSerde(L)), (v, t) -> v + "|" + t, Joined.with(S, L, L).withGracePeriod(Duration.ofMillis(jgrace))).to("out", oS); return "string";
      case "vtoTableStream": in.get().toTable(Materialized.<String, Long>as(Stores.persistentVersionedKeyValueStore("vt2", Duration.ofMillis(hr))).withKeySerde(S).withValueSerde(L)).toStream().to("out", oL); return "long";
      case "vttJoinR": b.table("tin2", Consumed.with(S, L)).join(vtin.get(), (a, c) -> a + "|" + c).toStream().to("out", oS); return "string";
      case "vtableFilter": vtin.get().filter((k, v) -> v % 2 == 0).toStream().to("out", oL); return "long";
      case "selectKeyCount": in.get().selectKey((k, v) -> "g" + mod3(v)).groupByKey(Grouped.with(S, L)).count().toStream().to("out", oL); return "long";
      case "flatMap": in.get().flatMap((k, v) -> { List<KeyValue<String, Long>> l = new ArrayList<>(); if (v != null) for (int i = 0; i < mod3(v); i++) l.add(KeyValue.pair(k + "_" + i, v + i)); return l; }).to("out", oL); return "long";
      case "flatMapCount": in.get().flatMap((k, v) -> { List<KeyValue<String, Long>> l = new ArrayList<>(); if (v != null) for (int i = 0; i < mod3(v); i++) l.add(KeyValue.pair("g" + i, v + i)); return l; }).groupByKey(Grouped.with(S, L)).count().toStream().to("out", oL); return "long";
      case "flatMapValues": in.get().flatMapValues(v -> { List<Long> l = new ArrayList<>(); if (v == null) l.add(null); else for (int i = 0; i < mod3(v); i++) l.add(v * 10 + i); return l; }).to("out", oL); return "long";
      case "mergeOut": in.get().merge(in2.get().mapValues(v -> v == null ? null : v * 100)).to("out", oL); return "long";
      case "mergeCount": in.get().merge(in2.get()).groupByKey(Grouped.with(S, L)).count().toStream().to("out", oL); return "long";
      case "split": {
        Map<String, KStream<String, Long>> m = in.get().split(Named.as("s-")).branch((k, v) -> v != null && v < 0, Branched.as("neg")).branch((k, v) -> v != null && v % 2 == 0, Branched.as("even")).defaultBranch(Branched.as("def"));
        m.get("s-neg").mapValues(v -> "neg:" + v).merge(m.get("s-even").mapValues(v -> "even:" + v)).merge(m.get("s-def").mapValues(v -> "def:" + v)).to("out", oS); return "string"; }
      case "mapToTable": in.get().map((k, v) -> KeyValue.pair(k == null ? null : k + "-" + mod3(v), v)).toTable(Materialized.with(S, L)).toStream().to("out", oL); return "long";
      case "toTable": in.get().toTable(Materialized.with(S, L)).toStream().to("out", oL); return "long";
      case "toTableMapValues": in.get().toTable(Materialized.with(S, L)).mapValues(v -> v * 10).toStream().to("out", oL); return "long";
      case "tableMapValues": tin.get().mapValues(v -> v * 10).toStream().to("out", oL); return "long";
      case "tableFilter": tin.get().filter((k, v) -> v % 2 == 0).toStream().to("out", oL); return "long";
      case "tableReduce": tin.get().groupBy((k, v) -> KeyValue.pair("g" + mod3(v), v), Grouped.with(S, L)).reduce(Long::sum, (a, v) -> a - v).toStream().to("out", oL); return "long";
      case "tableReduceK": tin.get().groupBy((k, v) -> KeyValue.pair(k.substring(0, 2) + (v % 2 == 0 ? "e" : "o"), v * 10), Grouped.with(S, L)).reduce((a, v) -> a + v, (a, v) -> a - v).toStream().to("out", oL); return "long";
      case "vjoin": in.get().join(vtin.get(), (v, t) -> v + "|" + t, Joined.with(S, L, L).withGracePeriod(Duration.ofMillis(jgrace))).to("out", oS); return "string";
      case "vleftJoin": in.get().leftJoin(vtin.get(), (v, t) -> v + "|" + t, Joined.with(S, L, L).withGracePeriod(Duration.ofMillis(jgrace))).to("out", oS); return "string";
      case "vtable": vtin.get().toStream().to("out", oL); return "long";
      case "repartitionCount": in.get().repartition(Repartitioned.with(S, L)).groupByKey().count().toStream().to("out", oL); return "long";
      default: throw new IllegalArgumentException("unknown topology " + topo);
    }
  }

  public static void main(String[] args) throws Exception {
    JsonNode scenarios = M.readTree(new File(args[0]));
    ArrayNode results = M.createArrayNode();
    for (JsonNode sc : scenarios) {
      ObjectNode res = M.createObjectNode();
      res.put("name", sc.get("name").asText());
      try {
        StreamsBuilder b = new StreamsBuilder();
        String outType = build(b, sc.get("topology").asText(), sc.get("params"));
        Properties props = new Properties();
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, "diff");
        props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "dummy:1234");
        props.put(StreamsConfig.STATESTORE_CACHE_MAX_BYTES_CONFIG, 0);
        props.put("__emit.interval.ms.kstreams.windowed.aggregation__", 0L);
        props.put(StreamsConfig.STATE_DIR_CONFIG, STATE_DIR);
        try (TopologyTestDriver d = new TopologyTestDriver(b.build(), props)) {
          Map<String, TestInputTopic<String, Long>> ins = new HashMap<>();
          for (JsonNode r : sc.get("records")) ins.computeIfAbsent(r.get("topic").asText(), t -> d.createInputTopic(t, new StringSerializer(), new LongSerializer()));
          TestOutputTopic<String, ?> out = outType.equals("long") ? d.createOutputTopic("out", new StringDeserializer(), new LongDeserializer())
              : d.createOutputTopic("out", new StringDeserializer(), new StringDeserializer());
          ArrayNode outs = M.createArrayNode();
          for (JsonNode r : sc.get("records")) {
            String k = r.get("key").isNull() ? null : r.get("key").asText();
            Long v = r.get("value").isNull() ? null : r.get("value").asLong();
            ins.get(r.get("topic").asText()).pipeInput(k, v, r.get("ts").asLong());
          }
          for (TestRecord<String, ?> o : out.readRecordsToList()) {
            ObjectNode on = M.createObjectNode();
            on.put("key", o.key());
            Object v = o.value();
            if (v == null) on.putNull("value"); else if (v instanceof Long) on.put("value", (Long) v); else on.put("value", v.toString());
            on.put("ts", o.timestamp());
            outs.add(on);
          }
          res.set("out", outs);
        }
      } catch (Throwable e) {
        { String m = e.toString(); for (Throwable c = e.getCause(); c != null; c = c.getCause()) m += " <- " + c; res.put("error", m); }
      }
      results.add(res);
    }
    System.out.println(M.writerWithDefaultPrettyPrinter().writeValueAsString(results));
  }
}
