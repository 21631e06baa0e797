// How the adapter reads @platformatic/kafka's errors: the Kafka error codes nested in a response error.
/** The Kafka error codes (ILLEGAL_GENERATION, PRODUCER_FENCED, …) anywhere in a client error. */
export function protocolErrorIds(err: unknown, found: string[] = []): string[] {
  if (typeof err !== "object" || err === null) return found;
  const e = err as { apiId?: unknown; errors?: unknown; cause?: unknown };
  if (typeof e.apiId === "string") found.push(e.apiId);
  if (Array.isArray(e.errors)) for (const inner of e.errors) protocolErrorIds(inner, found);
  if (e.cause !== undefined) protocolErrorIds(e.cause, found);
  return found;
}
