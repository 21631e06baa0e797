// A schema registry client over @kafkajs/confluent-schema-registry (which fetches, parses and caches schemas
// by id) that tells an unreachable registry (retry later) from an answer that will not change (a missing
// schema, an incompatible one). Registration is a plain POST: the library's register() also reads and
// rewrites the subject's compatibility setting, which is the registry owner's business, not a serde's.
import { SchemaRegistry, SchemaType } from "@kafkajs/confluent-schema-registry";
import { SerdeUnavailableError } from "../serde.ts";

export type SchemaFormat = "AVRO" | "JSON" | "PROTOBUF";

export interface SchemaRegistryOptions {
  /** The registry's Confluent-compatible base URL, e.g. `http://127.0.0.1:8081` (Apicurio: `…/apis/ccompat/v7`). */
  readonly url: string;
  readonly auth?: { readonly username: string; readonly password: string };
  /** One HTTP request's limit; default 10 s. */
  readonly requestTimeoutMs?: number;
}

/** A schema parsed by the library: an avsc Type, a JSON Schema validator or a Protobuf type, by format. */
export interface CachedSchema {
  readonly type: SchemaType;
  readonly schema: unknown;
}

/** The registry answered and the answer is final (unknown schema id, incompatible schema, …): retrying will not help. */
export class SchemaRegistryError extends Error {
  readonly code = "WEIR_SCHEMA_REGISTRY_ERROR";
  /** The HTTP status, when there was one. */
  readonly status: number | undefined;
  constructor(message: string, status: number | undefined, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "SchemaRegistryError";
    this.status = status;
  }
}

export class SchemaRegistryClient {
  readonly url: string;
  private readonly registry: SchemaRegistry;
  private readonly authorization: string | undefined;
  private readonly timeoutMs: number;
  /** Schema ids the registry answered it does not have, with its message: records naming them cannot be read. */
  private readonly missing = new Map<number, string>();
  private readonly loading = new Map<number, Promise<void>>();

  constructor(options: SchemaRegistryOptions) {
    this.url = options.url.replace(/\/+$/, "");
    this.timeoutMs = options.requestTimeoutMs ?? 10_000;
    this.authorization = options.auth ? "Basic " + Buffer.from(`${options.auth.username}:${options.auth.password}`).toString("base64") : undefined;
    // No retries inside the library: the runtime retries a whole warm-up with backoff, and logs it.
    this.registry = new SchemaRegistry(
      { host: this.url, auth: options.auth, retry: { retries: 0 } },
      // Registered JSON schemas may use keywords and formats ajv's strict mode rejects.
      { [SchemaType.JSON]: { strict: false } },
    );
  }

  /** The parsed schema of `id` if it was loaded; synchronous, no I/O. */
  cached(id: number): CachedSchema | undefined {
    return this.registry.cache.getSchema(id);
  }

  /** The registry's message when it said it has no schema `id`. */
  missingMessage(id: number): string | undefined {
    return this.missing.get(id);
  }

  /**
   * Loads schema `id` into the cache; undefined when it is cached (or known to be missing) already.
   * Rejects with SerdeUnavailableError only; a final answer is kept for `missingMessage`.
   */
  load(id: number): Promise<void> | undefined {
    if (this.cached(id) !== undefined || this.missing.has(id)) return undefined;
    let pending = this.loading.get(id);
    if (!pending) {
      pending = this.registry
        .getSchema(id)
        .then(
          () => undefined,
          (err: unknown) => {
            const problem = classify(err, `schema id ${id}`, this.url);
            if (problem instanceof SerdeUnavailableError) throw problem;
            this.missing.set(id, problem.message);
          },
        )
        .finally(() => this.loading.delete(id));
      this.loading.set(id, pending);
    }
    return pending;
  }

  /** Registers `schema` under `subject` (or finds it registered already); returns its id. */
  async register(subject: string, format: SchemaFormat, schema: string): Promise<number> {
    const body = { schema, ...(format === "AVRO" ? {} : { schemaType: format }) };
    const answer = await this.request("POST", `/subjects/${encodeURIComponent(subject)}/versions`, body, `registering a schema under subject ${subject}`);
    return idOf(answer, subject);
  }

  /** The id of `schema` registered under `subject`, without registering it. */
  async lookup(subject: string, format: SchemaFormat, schema: string): Promise<number> {
    const body = { schema, ...(format === "AVRO" ? {} : { schemaType: format }) };
    const answer = await this.request("POST", `/subjects/${encodeURIComponent(subject)}`, body, `looking up a schema under subject ${subject}`);
    return idOf(answer, subject);
  }

  /** The id of a registered version of `subject`, or of its latest. */
  async versionId(subject: string, version: number | "latest"): Promise<number> {
    const answer = await this.request("GET", `/subjects/${encodeURIComponent(subject)}/versions/${version}`, undefined, `reading version ${version} of subject ${subject}`);
    return idOf(answer, subject);
  }

  /** Sets a subject's compatibility level (BACKWARD, FORWARD, FULL, NONE, …, and their _TRANSITIVE forms). */
  async setCompatibility(subject: string, level: string): Promise<void> {
    await this.request("PUT", `/config/${encodeURIComponent(subject)}`, { compatibility: level }, `setting the compatibility of subject ${subject}`);
  }

  private async request(method: string, path: string, body: unknown, what: string): Promise<unknown> {
    let response: Response;
    try {
      response = await fetch(this.url + path, {
        method,
        headers: {
          "content-type": "application/vnd.schemaregistry.v1+json",
          accept: "application/vnd.schemaregistry.v1+json, application/json",
          ...(this.authorization ? { authorization: this.authorization } : {}),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (err) {
      throw new SerdeUnavailableError(`schema registry ${this.url} is unreachable (${what}): ${networkReason(err)}`, { cause: err });
    }
    const text = await response.text();
    let data: unknown;
    try {
      data = text.length > 0 ? JSON.parse(text) : undefined;
    } catch {
      data = text;
    }
    if (response.ok) return data;
    const message = (data as { message?: unknown } | undefined)?.message;
    const detail = typeof message === "string" ? message : `HTTP ${response.status} ${text.slice(0, 200)}`;
    if (retryableStatus(response.status)) throw new SerdeUnavailableError(`schema registry ${this.url} failed ${what}: ${detail}`);
    throw new SchemaRegistryError(`schema registry refused ${what}: ${detail}`, response.status);
  }
}

function idOf(answer: unknown, subject: string): number {
  const id = (answer as { id?: unknown } | undefined)?.id;
  if (typeof id !== "number") throw new SchemaRegistryError(`schema registry answered without a schema id for subject ${subject}: ${JSON.stringify(answer)}`, undefined);
  return id;
}

function retryableStatus(status: number): boolean {
  return status >= 500 || status === 408 || status === 429;
}

const networkFailure = /ECONNREFUSED|ECONNRESET|ETIMEDOUT|EHOSTUNREACH|ENETUNREACH|EAI_AGAIN|ENOTFOUND|EPIPE|socket hang up|timeout|timed out|fetch failed|network/i;

function networkReason(err: unknown): string {
  const e = err as { message?: string; cause?: { code?: string; message?: string } };
  return e.cause?.code ?? e.cause?.message ?? e.message ?? String(err);
}

/**
 * The library's errors: mappersmith reports a connection failure as an HTTP 400 whose text is the socket
 * error (e.g. `connect ECONNREFUSED`), so the text decides between down and a final answer.
 */
function classify(err: unknown, what: string, url: string): SerdeUnavailableError | SchemaRegistryError {
  const e = err as { status?: unknown; message?: unknown };
  const status = typeof e.status === "number" ? e.status : undefined;
  const message = typeof e.message === "string" ? e.message.replace(/^Confluent_Schema_Registry - /, "") : String(err);
  if ((status !== undefined && retryableStatus(status)) || (status === 400 && networkFailure.test(message)) || (status === undefined && networkFailure.test(message))) {
    return new SerdeUnavailableError(`schema registry ${url} is unreachable (fetching ${what}): ${message}`, { cause: err });
  }
  return new SchemaRegistryError(`schema registry has no ${what}: ${message}`, status, { cause: err });
}
