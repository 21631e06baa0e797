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
