// Weir's benchmark workloads (bench/README.md) written as a Kafka Streams app, run by bench/run.ts.
// Arguments are key=value: workload (w1 | w2 | w3 | w4 | w6 | w7 | w8), guarantee (exactly_once | at_least_once),
// bootstrap, input, output, appId, stateDir, mode (bounded | continuous), and optionally cacheMaxBytes
// (statestore.cache.max.bytes; Kafka Streams' default, 10 MiB, when absent), sessionTimeoutMs and
// standbyReplicas (num.standby.replicas). W8 (scale-out) is W2's count run continuously by several instances;
// every instance prints {"event":"tasks","time","active","standby"} each time it enters RUNNING, with its tasks.
// W7 (failover) is the same count with standby replicas: besides the tasks it prints {"event":"standby","time",
// "lag"} as its standby catches up (changelog end − position after each batch, StandbyUpdateListener), and
// {"event":"restored","time","records"} at each restore's end (how much the new owner replayed), and
// {"event":"rebalancing","time"} each time the client enters REBALANCING.
// Bounded: runs until the group's committed offsets reach the input's end offsets noted at start,
// then prints one JSON line {"startMs","endMs",...} and exits. Continuous (W5): prints {"event":"running"}
// once running and stops at SIGTERM. W4 prints the restore's figures once every store is restored; W6 (W2's
// count restoring its store, then counting the input into it) runs bounded and prints the restore's figures.
package dev.weir.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.Serializer;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.Materialized;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.kstream.Suppressed;
import org.apache.kafka.streams.kstream.TimeWindows;
import org.apache.kafka.streams.processor.StandbyUpdateListener;
import org.apache.kafka.streams.processor.StateRestoreListener;
import org.apache.kafka.streams.processor.TaskId;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.WindowStore;

public final class BenchApp {
  private static final ObjectMapper JSON = new ObjectMapper();

  /** JSON values, parsed once at the source as Weir's json serde does. */
  static final class JsonSerde implements Serde<JsonNode> {
    public Serializer<JsonNode> serializer() {
      return (topic, node) -> {
        try {
          return node == null ? null : JSON.writeValueAsBytes(node);
        } catch (Exception e) {
          throw new RuntimeException(e);
        }
      };
    }

    public Deserializer<JsonNode> deserializer() {
      return (topic, data) -> {
        try {
          return data == null ? null : JSON.readTree(data);
        } catch (Exception e) {
          throw new RuntimeException(e);
        }
      };
    }
  }

  public static void main(String[] argv) throws Exception {
    Map<String, String> args = new HashMap<>();
    for (String a : argv) {
      int eq = a.indexOf('=');
      args.put(a.substring(0, eq), a.substring(eq + 1));
    }
    String workload = args.get("workload");
    String guarantee = args.getOrDefault("guarantee", "exactly_once");
    String input = args.get("input");
    String output = args.get("output");
    String appId = args.get("appId");
    String bootstrap = args.get("bootstrap");
    boolean continuous = "continuous".equals(args.getOrDefault("mode", "bounded"));

    Properties props = new Properties();
    props.put(StreamsConfig.APPLICATION_ID_CONFIG, appId);
    props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    props.put(StreamsConfig.STATE_DIR_CONFIG, args.get("stateDir"));
    props.put(StreamsConfig.NUM_STREAM_THREADS_CONFIG, 1);
    props.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG,
        guarantee.equals("exactly_once") ? StreamsConfig.EXACTLY_ONCE_V2 : StreamsConfig.AT_LEAST_ONCE);
    // Exactly-once: Kafka Streams' default, 100 ms (as Weir's). At-least-once: 1 s rather than the
    // default 30 s, so that the bounded run sees its last offsets committed soon after processing them.
    props.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, guarantee.equals("exactly_once") ? 100 : 1000);
    props.put(StreamsConfig.consumerPrefix("auto.offset.reset"), "earliest");
    if (args.containsKey("sessionTimeoutMs")) {
      props.put(StreamsConfig.consumerPrefix("session.timeout.ms"), Integer.parseInt(args.get("sessionTimeoutMs")));
    }
    if (args.containsKey("standbyReplicas")) {
      props.put(StreamsConfig.NUM_STANDBY_REPLICAS_CONFIG, Integer.parseInt(args.get("standbyReplicas")));
    }
    if (args.containsKey("cacheMaxBytes")) {
      props.put(StreamsConfig.STATESTORE_CACHE_MAX_BYTES_CONFIG, Long.parseLong(args.get("cacheMaxBytes")));
    }

    StreamsBuilder builder = new StreamsBuilder();
    JsonSerde json = new JsonSerde();
    switch (workload) {
      case "w1" -> builder.stream(input, Consumed.with(Serdes.String(), json))
          .filter((k, v) -> v.get("amount").asInt() >= 100)
          .mapValues(v -> {
            ObjectNode out = JSON.createObjectNode();
            out.put("id", v.get("id").asLong());
            out.put("user", v.get("user").asText());
            out.put("cents", v.get("amount").asLong() * 100);
            out.put("sentAt", v.get("sentAt").asLong());
            return (JsonNode) out;
          })
          .to(output, Produced.with(Serdes.String(), json));
      case "w2", "w4", "w6", "w7", "w8" -> builder.stream(input, Consumed.with(Serdes.String(), Serdes.Bytes()))
          .groupByKey()
          .count(Materialized.<String, Long, KeyValueStore<Bytes, byte[]>>as("counts"))
          .toStream()
          .to(output, Produced.with(Serdes.String(), Serdes.Long()));
      case "w3" -> builder.stream(input, Consumed.with(Serdes.String(), json))
          .groupByKey()
          .windowedBy(TimeWindows.ofSizeAndGrace(Duration.ofMinutes(1), Duration.ofSeconds(10)))
          .aggregate(() -> 0L, (k, v, sum) -> sum + v.get("amount").asLong(),
              Materialized.<String, Long, WindowStore<Bytes, byte[]>>as("sums-1m").withValueSerde(Serdes.Long()))
          .suppress(Suppressed.untilWindowCloses(Suppressed.BufferConfig.unbounded()))
          .toStream()
          .map((wk, sum) -> KeyValue.pair(wk.key() + "@" + wk.window().start(), sum))
          .to(output, Produced.with(Serdes.String(), Serdes.Long()));
      default -> throw new IllegalArgumentException("unknown workload " + workload);
    }

    KafkaStreams streams = new KafkaStreams(builder.build(), props);
    AtomicLong runningAt = new AtomicLong();
    CountDownLatch running = new CountDownLatch(1);
    streams.setStateListener((now, before) -> {
      if (now == KafkaStreams.State.RUNNING && runningAt.compareAndSet(0, System.currentTimeMillis())) running.countDown();
      // A client in ERROR processes nothing more: a continuous run ends rather than wait for a SIGTERM.
      if (now == KafkaStreams.State.ERROR && continuous) new Thread(() -> System.exit(1)).start();
      if (now == KafkaStreams.State.REBALANCING && workload.equals("w7")) {
        System.out.printf("{\"event\":\"rebalancing\",\"time\":%d}%n", System.currentTimeMillis());
        System.out.flush();
      }
      if (now == KafkaStreams.State.RUNNING && (workload.equals("w7") || workload.equals("w8"))) printTasks(streams);
    });
    RestoreTimes restore = new RestoreTimes(workload.equals("w7"));
    streams.setGlobalStateRestoreListener(restore);
    if (workload.equals("w7")) streams.setStandbyUpdateListener(new StandbyLag());
    long launchedAt = System.currentTimeMillis();
    Runtime.getRuntime().addShutdownHook(new Thread(() -> streams.close(Duration.ofSeconds(30))));
    streams.start();

    if (continuous) {
      running.await();
      System.out.println("{\"event\":\"running\"}");
      System.out.flush();
      Thread.currentThread().join();
      return;
    }
    if (workload.equals("w4")) {
      running.await();
      System.out.printf("{\"launchedMs\":%d,\"startMs\":%d,\"endMs\":%d,\"records\":%d}%n",
          launchedAt, restore.first.get(), restore.last.get(), restore.total.get());
      System.out.flush();
      System.exit(0);
    }

    // W6: the restore first (a repetition finds the input already committed, and would end before restoring).
    if (workload.equals("w6")) running.await();
    try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
      int partitions = admin.describeTopics(java.util.List.of(input)).allTopicNames().get().get(input).partitions().size();
      Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
      for (int p = 0; p < partitions; p++) latest.put(new TopicPartition(input, p), OffsetSpec.latest());
      Map<TopicPartition, Long> ends = admin.listOffsets(latest).all().get().entrySet().stream()
          .collect(Collectors.toMap(Map.Entry::getKey, e -> e.getValue().offset()));
      long total = ends.values().stream().mapToLong(Long::longValue).sum();
      long firstCommit = 0;
      for (;;) {
        Thread.sleep(100);
        Map<TopicPartition, OffsetAndMetadata> committed = admin.listConsumerGroupOffsets(appId).partitionsToOffsetAndMetadata().get();
        if (firstCommit == 0 && !committed.isEmpty()) firstCommit = System.currentTimeMillis();
        boolean done = ends.entrySet().stream().allMatch(e -> {
          OffsetAndMetadata c = committed.get(e.getKey());
          return c != null && c.offset() >= e.getValue();
        });
        if (done) break;
      }
      long endMs = System.currentTimeMillis();
      // W6 reports its restore; the others, the input counted.
      boolean w6 = workload.equals("w6");
      System.out.printf("{\"launchedMs\":%d,\"startMs\":%d,\"endMs\":%d,\"records\":%d}%n", launchedAt,
          w6 ? restore.first.get() : runningAt.get(), w6 ? restore.last.get() : endMs, w6 ? restore.total.get() : total);
      System.out.flush();
    }
    System.exit(0);
  }

  /** W8: this instance's active tasks now ("0_3": sub-topology 0, partition 3), for the runner to tell kept partitions. */
  static void printTasks(KafkaStreams streams) {
    String active = streams.metadataForLocalThreads().stream()
        .flatMap(t -> t.activeTasks().stream())
        .map(t -> "\"" + t.taskId() + "\"")
        .sorted()
        .collect(Collectors.joining(","));
    String standby = streams.metadataForLocalThreads().stream()
        .flatMap(t -> t.standbyTasks().stream())
        .map(t -> "\"" + t.taskId() + "\"")
        .sorted()
        .collect(Collectors.joining(","));
    System.out.printf("{\"event\":\"tasks\",\"time\":%d,\"active\":[%s],\"standby\":[%s]}%n", System.currentTimeMillis(), active, standby);
    System.out.flush();
  }

  /** W7: a standby's lag (changelog end − its position) after each batch it applied, at most every 500 ms. */
  static final class StandbyLag implements StandbyUpdateListener {
    private final AtomicLong printedAt = new AtomicLong();

    public void onUpdateStart(TopicPartition tp, String store, long startingOffset) {}

    public void onBatchLoaded(TopicPartition tp, String store, TaskId task, long batchEndOffset, long batchSize, long currentEndOffset) {
      long now = System.currentTimeMillis();
      if (now - printedAt.get() < 500) return;
      printedAt.set(now);
      // batchEndOffset is the offset of the batch's last record: the next to apply is one past it.
      System.out.printf("{\"event\":\"standby\",\"time\":%d,\"lag\":%d}%n", now, Math.max(0, currentEndOffset - batchEndOffset - 1));
      System.out.flush();
    }

    public void onUpdateSuspended(TopicPartition tp, String store, long storeOffset, long currentEndOffset, SuspendReason reason) {}
  }

  /** The first restore's start and the last one's end, over every store partition. */
  static final class RestoreTimes implements StateRestoreListener {
    final AtomicLong first = new AtomicLong();
    final AtomicLong last = new AtomicLong();
    final AtomicLong total = new AtomicLong();
    private final boolean print;

    RestoreTimes(boolean print) {
      this.print = print;
    }

    public void onRestoreStart(TopicPartition tp, String store, long start, long end) {
      first.compareAndSet(0, System.currentTimeMillis());
    }

    public void onBatchRestored(TopicPartition tp, String store, long batchEnd, long restored) {
      total.addAndGet(restored);
    }

    public void onRestoreEnd(TopicPartition tp, String store, long totalRestored) {
      last.set(System.currentTimeMillis());
      if (print) {
        System.out.printf("{\"event\":\"restored\",\"time\":%d,\"records\":%d}%n", last.get(), totalRestored);
        System.out.flush();
      }
    }
  }
}
