// The processor behind cep(): runs each key's NFA with its state in a key-value store (changelog,
// exactly-once) and, when the pattern has `within`, a time index store that fires timeouts of keys
// that see no further event as stream time moves on.
//
// Index store, bytes → bytes:
//   [8-byte big-endian expiry][key bytes] → key bytes   one entry per key with partial matches: its earliest timeout
//   CLOCK_KEY → [stream time, next due expiry] as two float64   kept in the store so a rollback or a restore rewinds it too
import type { Processor, ProcessorContext } from "../processor/processor.ts";
import type { StreamRecord } from "../processor/record.ts";
import type { Serde } from "../serdes/serde.ts";
import type { KeyValueStore } from "../state/types.ts";
import { isIdle, type Match, type Nfa, type NfaResult, type NfaState, type TimedOutMatch } from "./nfa.ts";

/** What the processor forwards; cep() splits it into the matches and the timeouts streams. */
export type CepOutput<T> = { readonly match: Match<T> } | { readonly timeout: TimedOutMatch<T> };

/** Sorts after every index entry, whose first byte is 0 for any expiry before the year 2^56 ms. */
const CLOCK_KEY = Buffer.from([0xff]);
const FIRST_ENTRY = Buffer.alloc(8);

export class CepProcessor<K, T> implements Processor<K, T, K, CepOutput<T>> {
  private readonly nfa: Nfa<T>;
  private readonly stateStoreName: string;
  private readonly indexStoreName: string | undefined;
  private readonly keySerde: Serde<K>;
  private context!: ProcessorContext<K, CepOutput<T>>;
  private states!: KeyValueStore<K, NfaState<T>>;
  private index: KeyValueStore<Buffer, Buffer> | undefined;
  /** The topic name the key serde is given for index entries: the index's changelog. */
  private indexTopic = "";

  constructor(nfa: Nfa<T>, stateStore: string, indexStore: string | undefined, keySerde: Serde<K>) {
    this.nfa = nfa;
    this.stateStoreName = stateStore;
    this.indexStoreName = indexStore;
    this.keySerde = keySerde;
  }

  init(context: ProcessorContext<K, CepOutput<T>>): void {
    this.context = context;
    this.states = context.getStateStore(this.stateStoreName);
    if (this.indexStoreName !== undefined) {
      this.index = context.getStateStore(this.indexStoreName);
      this.indexTopic = `${context.applicationId}-${this.indexStoreName}-changelog`;
    }
  }

  process(record: StreamRecord<K, T>): void {
    if (record.key === null || record.key === undefined || record.value === null || record.value === undefined) {
      this.context.dropRecord("null key or value in a CEP pattern");
      return;
    }
    // Timeouts of other keys come first: stream time passed them before this record arrived.
    this.advanceStreamTime(record.timestamp);
    const before = this.states.get(record.key) ?? this.nfa.initialState();
    const result = this.nfa.advance(before, record.value, record.timestamp);
    this.save(record.key, before, result.state);
    this.emit(record.key, result, record.headers);
  }

  /** Stream time is the largest timestamp this task has seen; moving it fires every key whose timeout it passed. */
  private advanceStreamTime(timestamp: number): void {
    if (!this.index) return;
    const [streamTime, nextDue] = this.clock();
    if (timestamp <= streamTime) return;
    if (nextDue > timestamp) {
      this.setClock(timestamp, nextDue);
      return;
    }
    const due: Buffer[] = [];
    let next = Infinity;
    for (const [entry, key] of this.index.range(FIRST_ENTRY, undefined)) {
      if (entry.length < 8) break; // the clock: past every entry
      const expiry = Number(entry.readBigUInt64BE(0));
      if (expiry > timestamp) {
        next = expiry;
        break;
      }
      this.index.delete(entry);
      due.push(key);
    }
    this.setClock(timestamp, next);
    for (const keyBytes of due) {
      const key = this.keySerde.deserialize(keyBytes, this.indexTopic);
      const before = this.states.get(key);
      if (before === undefined) continue;
      const result = this.nfa.advanceTime(before, timestamp);
      this.save(key, before, result.state, true);
      this.emit(key, result, {});
    }
  }

  /** Stores the key's new state and moves its index entry to its new earliest timeout. */
  private save(key: K, before: NfaState<T>, after: NfaState<T>, indexEntryGone = false): void {
    if (isIdle(after)) {
      if (!isIdle(before)) this.states.delete(key);
    } else {
      this.states.put(key, after);
    }
    if (!this.index) return;
    const was = this.nfa.nextTimeout(before);
    const now = this.nfa.nextTimeout(after);
    if (was === now && !indexEntryGone) return;
    const keyBytes = this.keySerde.serialize(key, this.indexTopic);
    if (was !== undefined && !indexEntryGone) this.index.delete(indexEntry(was, keyBytes));
    if (now !== undefined) {
      this.index.put(indexEntry(now, keyBytes), keyBytes);
      const [streamTime, nextDue] = this.clock();
      if (now < nextDue) this.setClock(streamTime, now);
    }
  }

  /** Timeouts are stamped with their timeout time, matches with their end (the last event's time, or the window's end). */
  private emit(key: K, result: NfaResult<T>, headers: StreamRecord<K, T>["headers"]): void {
    for (const timeout of result.timeouts) this.context.forward({ key, value: { timeout }, timestamp: timeout.timeoutAt, headers: {} });
    for (const match of result.matches) this.context.forward({ key, value: { match }, timestamp: match.end, headers });
  }

  private clock(): [streamTime: number, nextDue: number] {
    const bytes = this.index!.get(CLOCK_KEY);
    // Unknown (first run): no stream time yet, and the next due entry must be looked up.
    if (bytes === undefined) return [-Infinity, -Infinity];
    return [bytes.readDoubleBE(0), bytes.readDoubleBE(8)];
  }

  private setClock(streamTime: number, nextDue: number): void {
    // A fresh buffer each time: the store keeps the object it is given.
    const bytes = Buffer.allocUnsafe(16);
    bytes.writeDoubleBE(streamTime, 0);
    bytes.writeDoubleBE(nextDue, 8);
    this.index!.put(CLOCK_KEY, bytes);
  }
}

function indexEntry(expiry: number, key: Buffer): Buffer {
  const out = Buffer.allocUnsafe(8 + key.length);
  out.writeBigUInt64BE(BigInt(expiry), 0);
  key.copy(out, 8);
  return out;
}
