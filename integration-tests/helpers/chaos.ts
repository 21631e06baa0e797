// A fixed number of `weir run` instances ("slots") that a test SIGKILLs at random and replaces at once,
// each replacement starting on its slot's state dir: what it finds there is restored as a delta.
import type { WeirProcess } from "./cluster.ts";

export interface Kill {
  /** 1-based. */
  readonly n: number;
  readonly slot: number;
  readonly killedPid: number;
  readonly replacementPid: number;
  /** Milliseconds since the pool started. */
  readonly atMs: number;
}

export class InstancePool {
  /** Every process the pool started, killed ones included, oldest first: their stderr explains a failure. */
  readonly started: WeirProcess[] = [];
  private readonly slots: WeirProcess[] = [];
  private readonly killed = new Set<WeirProcess>();
  private readonly startSlot: (slot: number) => WeirProcess;
  private readonly startedAt = Date.now();

  /** Starts `size` instances; `start(slot)` starts one for a slot (always on that slot's state dir). */
  constructor(size: number, start: (slot: number) => WeirProcess) {
    this.startSlot = start;
    for (let slot = 0; slot < size; slot++) this.slots.push(this.launch(slot));
  }

  get size(): number {
    return this.slots.length;
  }

  live(): readonly WeirProcess[] {
    return [...this.slots];
  }

  /** Throws, with its stderr, when an instance exited that the pool did not kill: an instance must not die on its own. */
  assertAllRunning(): void {
    for (const [slot, p] of this.slots.entries()) {
      if (!p.running() && !this.killed.has(p)) {
        const how = p.child.exitCode ?? p.child.signalCode;
        throw new Error(`instance ${slot} (pid ${p.child.pid}) exited on its own with ${how}; its stderr ends:\n${p.stderr().slice(-4000)}`);
      }
    }
  }

  /** SIGKILLs the slot's instance, waits until it is gone (so nothing holds the state dir), then starts its replacement. */
  async killAndReplace(slot: number, n: number): Promise<Kill> {
    const victim = this.slots[slot];
    if (!victim) throw new Error(`no slot ${slot}`);
    const atMs = Date.now() - this.startedAt;
    this.killed.add(victim);
    const gone = victim.exited(10_000);
    victim.child.kill("SIGKILL");
    await gone;
    const replacement = this.launch(slot);
    this.slots[slot] = replacement;
    return { n, slot, killedPid: victim.child.pid ?? -1, replacementPid: replacement.child.pid ?? -1, atMs };
  }

  /** Sends `signal` to every live instance and waits for all of them; returns their exit codes by slot. */
  async stopAll(signal: NodeJS.Signals, timeoutMs: number): Promise<(number | string)[]> {
    const exits = this.slots.map((p) => p.exited(timeoutMs));
    for (const p of this.slots) p.child.kill(signal);
    return Promise.all(exits);
  }

  /** The end of each live instance's stderr, and of the last `killed` killed ones, for a failure message. */
  stderrTails(chars = 2500, killed = 2): string {
    const dead = this.started.filter((p) => !this.slots.includes(p)).slice(-killed);
    return [...dead.map((p) => ["killed", p] as const), ...this.slots.map((p) => ["live", p] as const)]
      .map(([state, p]) => `--- ${state} instance pid ${p.child.pid}, state dir ${p.stateDir}, stderr ends:\n${p.stderr().slice(-chars)}`)
      .join("\n");
  }

  private launch(slot: number): WeirProcess {
    const p = this.startSlot(slot);
    this.started.push(p);
    return p;
  }
}

export interface ChaosOptions {
  readonly kills: number;
  readonly minDelayMs: number;
  readonly maxDelayMs: number;
  /** [0, 1): seeded, so that the slots killed and the delays are the same on every run. */
  readonly random: () => number;
  /** Runs before each wait, e.g. to produce more input so that each kill lands on work in flight. */
  readonly beforeWait?: (n: number) => Promise<void>;
  /** Told of each kill as it happens, e.g. to print it with the progress so far. */
  readonly onKill?: (kill: Kill) => void;
}

/** `kills` times: wait a random delay, check no instance died on its own, SIGKILL a random slot and replace it. */
export async function killRandomly(pool: InstancePool, options: ChaosOptions): Promise<Kill[]> {
  const done: Kill[] = [];
  for (let n = 1; n <= options.kills; n++) {
    await options.beforeWait?.(n);
    const delay = options.minDelayMs + Math.floor(options.random() * (options.maxDelayMs - options.minDelayMs));
    await new Promise((r) => setTimeout(r, delay));
    pool.assertAllRunning();
    const kill = await pool.killAndReplace(Math.floor(options.random() * pool.size), n);
    done.push(kill);
    options.onKill?.(kill);
  }
  return done;
}
