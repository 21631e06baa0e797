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
import java.nio.file.*;
import java.time.Duration;
import java.util.*;

/** Reads a JSON array of scenarios (file arg), runs each through Kafka Streams' TopologyTestDriver, prints a JSON array of results. */
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

  /** Returns the value type of "out": "long" or "string". */
  static String build(StreamsBuilder b, String topo, JsonNode params) {
    Serde<String> S = Serdes.String();
    Serde<Long> L = Serdes.Long();
    long size = p(params, "size", 10), adv = p(params, "advance", size), grace = p(params, "grace", 0), gap = p(params, "gap", 5), diff = p(params, "diff", 10);
    boolean onClose = p(params, "onClose", 0) == 1;
    KStream<String, Long> in = b.stream("in", Consumed.with(S, L));
    TimeWindows tw = TimeWindows.ofSizeAndGrace(Duration.ofMillis(size), Duration.ofMillis(grace)).advanceBy(Duration.ofMillis(adv));
    SessionWindows sw = SessionWindows.ofInactivityGapAndGrace(Duration.ofMillis(gap), Duration.ofMillis(grace));
    SlidingWindows slw = SlidingWindows.ofTimeDifferenceAndGrace(Duration.ofMillis(diff), Duration.ofMillis(grace));
    switch (topo) {
      case "count": in.groupByKey().count().toStream().to("out", Produced.with(S, L)); return "long";
      case "reduce": in.groupByKey().reduce(Long::sum).toStream().to("out", Produced.with(S, L)); return "long";
      case "aggregate": in.groupByKey().aggregate(() -> "", (k, v, a) -> a + "," + v, Materialized.with(S, S)).toStream().to("out", Produced.with(S, S)); return "string";
      case "rekeyCount": in.groupBy((k, v) -> "g" + (v == null ? 9 : Math.floorMod(v, 3)), Grouped.with(S, L)).count().toStream().to("out", Produced.with(S, L)); return "long";
      case "rekeyAgg": in.groupBy((k, v) -> "g" + (v == null ? 9 : Math.floorMod(v, 3)), Grouped.with(S, L)).aggregate(() -> "", (k, v, a) -> a + "," + v, Materialized.with(S, S)).toStream().to("out", Produced.with(S, S)); return "string";
      case "tableCount": b.table("tin", Consumed.with(S, L)).groupBy((k, v) -> KeyValue.pair("g" + (v == null ? 9 : Math.floorMod(v, 3)), v), Grouped.with(S, L)).count().toStream().to("out", Produced.with(S, L)); return "long";
      case "tableAgg": b.table("tin", Consumed.with(S, L)).groupBy((k, v) -> KeyValue.pair("g" + (v == null ? 9 : Math.floorMod(v, 3)), v), Grouped.with(S, L))
          .aggregate(() -> "", (k, v, a) -> a + "+" + v, (k, v, a) -> a + "-" + v, Materialized.with(S, S)).toStream().to("out", Produced.with(S, S)); return "string";
      case "tableReduce": b.table("tin", Consumed.with(S, L)).groupBy((k, v) -> KeyValue.pair("g" + (v == null ? 9 : Math.floorMod(v, 3)), v), Grouped.with(S, L))
          .reduce(Long::sum, (a, v) -> a - v).toStream().to("out", Produced.with(S, L)); return "long";
      case "winCount": wkey(onClose ? (p(params, "retention", -1) > 0 ? in.groupByKey().windowedBy(tw).emitStrategy(EmitStrategy.onWindowClose()).count(Materialized.<String, Long, WindowStore<Bytes, byte[]>>as("ret").withRetention(Duration.ofMillis(p(params, "retention", -1))).withKeySerde(S).withValueSerde(L)) : in.groupByKey().windowedBy(tw).emitStrategy(EmitStrategy.onWindowClose()).count()) : in.groupByKey().windowedBy(tw).count()).to("out", Produced.with(S, L)); return "long";
      case "winAgg": wkey((onClose ? in.groupByKey().windowedBy(tw).emitStrategy(EmitStrategy.onWindowClose()) : in.groupByKey().windowedBy(tw)).aggregate(() -> "", (k, v, a) -> a + "," + v, Materialized.with(S, S))).to("out", Produced.with(S, S)); return "string";
      case "winReduce": wkey(in.groupByKey().windowedBy(tw).reduce(Long::sum)).to("out", Produced.with(S, L)); return "long";
      case "winSuppress": wkey(in.groupByKey().windowedBy(tw).count().suppress(Suppressed.untilWindowCloses(Suppressed.BufferConfig.unbounded()))).to("out", Produced.with(S, L)); return "long";
      case "slideAgg": wkey((onClose ? in.groupByKey().windowedBy(slw).emitStrategy(EmitStrategy.onWindowClose()) : in.groupByKey().windowedBy(slw)).aggregate(() -> "", (k, v, a) -> a + "," + v, Materialized.with(S, S))).to("out", Produced.with(S, S)); return "string";
      case "slideCount": wkey(in.groupByKey().windowedBy(slw).count()).to("out", Produced.with(S, L)); return "long";
      case "slideSuppress": wkey(in.groupByKey().windowedBy(slw).count().suppress(Suppressed.untilWindowCloses(Suppressed.BufferConfig.unbounded()))).to("out", Produced.with(S, L)); return "long";
      case "sessCount": wkey(onClose ? in.groupByKey().windowedBy(sw).emitStrategy(EmitStrategy.onWindowClose()).count() : in.groupByKey().windowedBy(sw).count()).to("out", Produced.with(S, L)); return "long";
      case "sessAgg": wkey((onClose ? in.groupByKey().windowedBy(sw).emitStrategy(EmitStrategy.onWindowClose()) : in.groupByKey().windowedBy(sw)).aggregate(() -> "", (k, v, a) -> a + "," + v, (k, a1, a2) -> a1 + "|" + a2, Materialized.with(S, S))).to("out", Produced.with(S, S)); return "string";
      case "sessReduce": wkey(in.groupByKey().windowedBy(sw).reduce(Long::sum)).to("out", Produced.with(S, L)); return "long";
      case "sessSuppress": wkey(in.groupByKey().windowedBy(sw).count().suppress(Suppressed.untilWindowCloses(Suppressed.BufferConfig.unbounded()))).to("out", Produced.with(S, L)); return "long";
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
          Set<String> topics = new HashSet<>();
          for (JsonNode r : sc.get("records")) topics.add(r.get("topic").asText());
          Map<String, TestInputTopic<String, Long>> ins = new HashMap<>();
          for (String t : topics) ins.put(t, d.createInputTopic(t, new StringSerializer(), new LongSerializer()));
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
      } catch (Exception e) {
        res.put("error", e.toString());
      }
      results.add(res);
    }
    System.out.println(M.writerWithDefaultPrettyPrinter().writeValueAsString(results));
  }
}
