// Changelog records handed over from records a client already decoded (kafkajs, the test kit's fake
// Kafka): the @platformatic/kafka adapter decodes fetched bytes straight into the sink instead
// (platformatic/record-batches.ts).
import type { BatchMessage, ChangelogRecords } from "./port.ts";

export function changelogRecordsOf(topic: string, partition: number, messages: readonly BatchMessage[]): ChangelogRecords {
  return {
    topic,
    partition,
    copyTo(sink) {
      for (const m of messages) if (m.key !== null) sink.add(m.key, m.value);
      return messages.length === 0 ? undefined : messages[messages.length - 1]!.offset;
    },
  };
}
