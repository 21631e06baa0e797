// A task's id: its sub-topology and its partition, as Kafka Streams names tasks ("0_3").

export function taskId(subTopology: number, partition: number): string {
  return `${subTopology}_${partition}`;
}
