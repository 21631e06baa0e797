// cep(stream, pattern, options): the DSL operator. Matches per key, with the partial matches in a
// key-value store (SQLite + changelog, exactly-once like every aggregation) and timeouts on a side stream.
import type { Processor, ProcessorContext } from "../processor/processor.ts";
import type { StreamRecord } from "../processor/record.ts";
import { serdes, type Serde } from "../serdes/serde.ts";
import { TopologyError, type StoreDefinition } from "../topology/graph.ts";
import type { KStream, Named } from "../topology/kstream.ts";
import { CepProcessor, type CepOutput } from "./cep-processor.ts";
import { Nfa, type Match, type TimedOutMatch } from "./nfa.ts";
import type { Pattern } from "./pattern.ts";
import { nfaStateSerde } from "./state-serde.ts";

export interface CepOptions<K, T> extends Named {
  /**
   * The store of partial matches per key, changelog `<applicationId>-<store>-changelog`. A pattern with
   * `within` also gets `<store>-timeouts`, the index of when each key's partial matches time out.
   */
  readonly store: string;
  /** Needed when an operator before cep() changed the key or the value (the stream's serdes are not known). */
  readonly key?: Serde<K>;
  /** Serializes the events a partial match holds in the store. */
  readonly value?: Serde<T>;
}

export interface CepStreams<K, T> {
  /** One record per match, keyed like the input, stamped with the match's end. */
  readonly matches: KStream<K, Match<T>>;
  /** Partial matches that did not complete within the pattern's `within`, stamped with their timeout time. */
  readonly timeouts: KStream<K, TimedOutMatch<T>>;
}

/**
 * Runs `pattern` over each key's events in order of arrival. Timeouts of a key fire when its next event
 * arrives or when the task's stream time (its largest timestamp) passes them.
 */
export function cep<K, T>(stream: KStream<K, T>, pattern: Pattern<T>, options: CepOptions<K, T>): CepStreams<K, T> {
  const nfa = new Nfa(pattern);
  const known = stream.knownSerdes();
  const keySerde = options.key ?? known.key;
  const valueSerde = options.value ?? known.value;
  if (!keySerde || !valueSerde) {
    throw new TopologyError(`cep(${options.store}) needs { key, value } serdes: an operator before it changed the key or the value`);
  }
  const stores: StoreDefinition[] = [{ kind: "keyValue", name: options.store, keySerde: keySerde, valueSerde: nfaStateSerde(valueSerde) }];
  const indexStore = nfa.withinMs === undefined ? undefined : `${options.store}-timeouts`;
  if (indexStore) stores.push({ kind: "keyValue", name: indexStore, keySerde: serdes.bytes(), valueSerde: serdes.bytes() });
  const outputs = stream.addStatefulProcessor<K, CepOutput<T>>(
    "CEP",
    () => new CepProcessor<K, T>(nfa, options.store, indexStore, keySerde),
    stores,
    options,
    { key: keySerde },
  );
  return {
    matches: outputs.process(() => new Unwrap<K, T, Match<T>>((o) => ("match" in o ? o.match : undefined)), { name: `${options.store}-matches` }),
    timeouts: outputs.process(() => new Unwrap<K, T, TimedOutMatch<T>>((o) => ("timeout" in o ? o.timeout : undefined)), { name: `${options.store}-timeouts` }),
  };
}

/** Forwards one kind of CepOutput, unwrapped. */
class Unwrap<K, T, V> implements Processor<K, CepOutput<T>, K, V> {
  private readonly pick: (output: CepOutput<T>) => V | undefined;
  private context!: ProcessorContext<K, V>;
  constructor(pick: (output: CepOutput<T>) => V | undefined) {
    this.pick = pick;
  }
  init(context: ProcessorContext<K, V>): void {
    this.context = context;
  }
  process(record: StreamRecord<K, CepOutput<T>>): void {
    const value = this.pick(record.value);
    if (value !== undefined) this.context.forward({ key: record.key, value, timestamp: record.timestamp, headers: record.headers });
  }
}
