package diff;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.apache.kafka.common.serialization.*;
import org.apache.kafka.streams.*;
import org.apache.kafka.streams.kstream.*;
import org.apache.kafka.streams.test.TestRecord;

import java.io.*;
import java.nio.file.*;
import java.time.Duration;
import java.time.Instant;
import java.util.*;

public class Main {
  static final ObjectMapper M = new ObjectMapper();

  static String fk(String v) {
    if (v == null) return null;
    String p = v.split(":")[0];
    return p.equals("n") ? null : p;
  }

  static boolean keep(String v) { return v != null && !v.startsWith("x"); }

  static Topology build(JsonNode t) {
    StreamsBuilder b = new StreamsBuilder();
    Consumed<String, String> c = Consumed.with(Serdes.String(), Serdes.String());
    Produced<String, String> p = Produced.with(Serdes.String(), Serdes.String());
    String type = t.get("type").asText();
    String kind = t.has("kind") ? t.get("kind").asText() : "inner";
    switch (type) {
      case "ss": {
        KStream<String, String> l = b.stream("L", c), r = b.stream("R", c);
        long before = t.get("before").asLong(), after = t.get("after").asLong();
        JoinWindows w = t.get("grace").isNull()
            ? JoinWindows.ofTimeDifferenceWithNoGrace(Duration.ofMillis(Math.max(before, after)))
            : JoinWindows.ofTimeDifferenceAndGrace(Duration.ofMillis(Math.max(before, after)), Duration.ofMillis(t.get("grace").asLong()));
        w = w.before(Duration.ofMillis(before)).after(Duration.ofMillis(after));
        StreamJoined<String, String, String> sj = StreamJoined.with(Serdes.String(), Serdes.String(), Serdes.String());
        ValueJoiner<String, String, String> j = (a, bb) -> a + "+" + bb;
        KStream<String, String> o = kind.equals("inner") ? l.join(r, j, w, sj) : kind.equals("left") ? l.leftJoin(r, j, w, sj) : l.outerJoin(r, j, w, sj);
        o.to("out", p);
        break;
      }
      case "st": {
        KStream<String, String> l = b.stream("L", c);
        KTable<String, String> r = b.table("R", c);
        if (t.path("filterRight").asBoolean(false)) r = r.filter((k, v) -> keep(v));
        ValueJoiner<String, String, String> j = (a, bb) -> a + "+" + bb;
        Joined<String, String, String> jd = Joined.with(Serdes.String(), Serdes.String(), Serdes.String());
        (kind.equals("inner") ? l.join(r, j, jd) : l.leftJoin(r, j, jd)).to("out", p);
        break;
      }
      case "tt": {
        KTable<String, String> l = b.table("L", c), r = b.table("R", c);
        if (t.path("filterLeft").asBoolean(false)) l = l.filter((k, v) -> keep(v));
        if (t.path("filterRight").asBoolean(false)) r = r.filter((k, v) -> keep(v));
        if (t.path("mapLeft").asBoolean(false)) l = l.mapValues(v -> v + "!");
        ValueJoiner<String, String, String> j = (a, bb) -> a + "+" + bb;
        KTable<String, String> o = kind.equals("inner") ? l.join(r, j) : kind.equals("left") ? l.leftJoin(r, j) : l.outerJoin(r, j);
        if (t.has("kind2")) {
          KTable<String, String> t3 = b.table("T", c);
          String k2 = t.get("kind2").asText();
          ValueJoiner<String, String, String> j2 = (a, bb) -> "(" + a + ")*" + bb;
          if (t.path("thirdFirst").asBoolean(false)) {
            ValueJoiner<String, String, String> j3 = (a, bb) -> a + "*(" + bb + ")";
            o = k2.equals("inner") ? t3.join(o, j3) : k2.equals("left") ? t3.leftJoin(o, j3) : t3.outerJoin(o, j3);
          } else {
            o = k2.equals("inner") ? o.join(t3, j2) : k2.equals("left") ? o.leftJoin(t3, j2) : o.outerJoin(t3, j2);
          }
        }
        if (t.path("streamJoin").asBoolean(false)) {
          KStream<String, String> s = b.stream("S", c);
          ValueJoiner<String, String, String> j4 = (a, bb) -> a + "/" + bb;
          s.leftJoin(o, j4).to("out", p);
        } else o.toStream().to("out", p);
        break;
      }
      case "gt": {
        KStream<String, String> l = b.stream("L", c);
        GlobalKTable<String, String> g = b.globalTable("G", c, Materialized.as("g"));
        KeyValueMapper<String, String, String> km = (k, v) -> fk(v);
        ValueJoiner<String, String, String> j = (a, bb) -> a + "+" + bb;
        (kind.equals("inner") ? l.join(g, km, j) : l.leftJoin(g, km, j)).to("out", p);
        break;
      }
      case "fk": {
        KTable<String, String> l = b.table("L", c), r = b.table("R", c);
        if (t.path("filterLeft").asBoolean(false)) l = l.filter((k, v) -> keep(v.split(":")[1]));
        if (t.path("filterRight").asBoolean(false)) r = r.filter((k, v) -> keep(v));
        ValueJoiner<String, String, String> j = (a, bb) -> a + "+" + bb;
        KTable<String, String> o = kind.equals("inner") ? l.join(r, Main::fk, j) : l.leftJoin(r, Main::fk, j);
        o.toStream().to("out", p);
        break;
      }
      case "tf": {
        KTable<String, String> tb = b.table("L", c);
        String op = t.get("op").asText();
        if (op.equals("filter")) tb = tb.filter((k, v) -> keep(v));
        else if (op.equals("filterNot")) tb = tb.filterNot((k, v) -> keep(v));
        else if (op.equals("mapValues")) tb = tb.mapValues(v -> v + "!");
        else if (op.equals("filterMap")) tb = tb.filter((k, v) -> keep(v)).mapValues(v -> v + "!");
        else if (op.equals("mapFilter")) tb = tb.mapValues(v -> v + "!").filter((k, v) -> keep(v));
        tb.toStream().to("out", p);
        break;
      }
      default: throw new IllegalArgumentException(type);
    }
    return b.build();
  }

  public static void main(String[] args) throws Exception {
    JsonNode all = M.readTree(new File(args[0]));
    PrintStream out = new PrintStream(new FileOutputStream(args[1]), false, "UTF-8");
    for (JsonNode sc : all) {
      ObjectNode res = M.createObjectNode();
      res.put("id", sc.get("id").asText());
      Properties props = new Properties();
      props.put(StreamsConfig.APPLICATION_ID_CONFIG, "diff");
      props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "dummy:9092");
      props.put(StreamsConfig.STATESTORE_CACHE_MAX_BYTES_CONFIG, 0);
      props.put(StreamsConfig.DEFAULT_KEY_SERDE_CLASS_CONFIG, Serdes.StringSerde.class);
      props.put(StreamsConfig.DEFAULT_VALUE_SERDE_CLASS_CONFIG, Serdes.StringSerde.class);
      props.put("__emit.interval.ms.kstreams.outer.join.spurious.results.fix__", sc.path("emitInterval").asLong(0));
      try (TopologyTestDriver d = new TopologyTestDriver(build(sc.get("topology")), props, Instant.ofEpochMilli(0))) {
        Map<String, TestInputTopic<String, String>> ins = new HashMap<>();
        TestOutputTopic<String, String> o = d.createOutputTopic("out", new StringDeserializer(), new StringDeserializer());
        ArrayNode arr = res.putArray("out");
        int idx = 0;
        for (JsonNode r : sc.get("records")) {
          String topic = r.get("topic").asText();
          TestInputTopic<String, String> in = ins.computeIfAbsent(topic, tp -> d.createInputTopic(tp, new StringSerializer(), new StringSerializer()));
          String k = r.get("key").isNull() ? null : r.get("key").asText();
          String v = r.get("value").isNull() ? null : r.get("value").asText();
          in.pipeInput(k, v, Instant.ofEpochMilli(r.get("ts").asLong()));
          for (TestRecord<String, String> tr : o.readRecordsToList()) {
            ObjectNode n = arr.addObject();
            n.put("k", tr.key()); n.put("v", tr.value()); n.put("ts", tr.timestamp()); n.put("at", idx);
          }
          idx++;
        }
      } catch (Exception e) {
        res.put("error", e.toString());
      }
      out.println(M.writeValueAsString(res));
    }
    out.close();
  }
}
