// Typed errors with stable codes: scripts and tests match on `code`, people read the message.

export type WeirErrorCode =
  | "WEIR_CONFIG_INVALID"
  | "WEIR_TOPIC_MISSING"
  | "WEIR_TOPOLOGY_INVALID"
  | "WEIR_DESERIALIZATION_FAILED"
  | "WEIR_PROCESSING_FAILED"
  | "WEIR_PRODUCTION_FAILED"
  | "WEIR_INVALID_TIMESTAMP"
  | "WEIR_MODULE_INVALID"
  | "WEIR_ILLEGAL_TASK_TRANSITION"
  /** The Kafka client gave up on a consumer (it will not rejoin by itself): the app fails rather than idle. */
  | "WEIR_CONSUMER_LOST";

export class WeirError extends Error {
  readonly code: WeirErrorCode;
  constructor(code: WeirErrorCode, message: string, options?: { cause?: unknown }) {
    super(`${code}: ${message}`, options);
    this.code = code;
    this.name = "WeirError";
  }
}

/**
 * How every WEIR_TOPIC_MISSING of a running app ends: Weir creates only its own internal topics, so the message
 * names the `weir topics create` command (src/cli/topic-commands.ts) that creates the missing ones.
 * `namedByTopology`: the topics are the topology's own (sources, sinks, global tables), which
 * `weir topics create --for <module>` creates too; a topic chooser's picks are not.
 */
export function createTopicsFirst(missing: readonly string[], namedByTopology: boolean): string {
  const them = missing.length === 1 ? "it" : "them";
  const forModule = namedByTopology ? `, or \`weir topics create --for <module>\` every topic the topology reads or writes` : "";
  return `create ${them} first (Weir creates only its own internal topics): \`weir topics create ${missing.join(" ")}\` creates ${them}${forModule}`;
}
