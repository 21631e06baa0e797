// This instance's copy of the group's task → instance map. Unknown from each assignment until it has been
// read back from the group coordinator (kafkajs drops the assignment's user data on receipt): queries
// answer 503 meanwhile rather than ask an instance that no longer owns the task.
import { InstanceMap } from "./instance-map.ts";
import type { Logger } from "./logger.ts";

export type AssignmentUserDataReader = () => Promise<{ stable: boolean; userData: Buffer | undefined }>;

export class InstanceDirectory {
  private readonly read: AssignmentUserDataReader;
  private readonly logger: Logger;
  private readonly retryMs: number;
  private map: InstanceMap | undefined;
  /** The last map read, kept while the group rebalances: where stale reads look for standbys meanwhile. */
  private last: InstanceMap | undefined;
  private generation = 0;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  /** The read in flight, if any: close() waits for it, so the client is not closed under it. */
  private reading: Promise<unknown> | undefined;

  constructor(read: AssignmentUserDataReader, logger: Logger, retryMs = 250) {
    this.read = read;
    this.logger = logger;
    this.retryMs = retryMs;
  }

  /** The current map; undefined while the group rebalances. */
  current(): InstanceMap | undefined {
    return this.map;
  }

  /** The last map read, even while the group rebalances (stale reads only: its owners may have moved). */
  lastKnown(): InstanceMap | undefined {
    return this.map ?? this.last;
  }

  /**
   * Before this member joins: the map of the group's current assignment, if the group is stable, as the last
   * known one. An instance restarted before the session of its killed predecessor expired finds there the
   * predecessor's transactional id, so that the first assignment aborts what it left open (departed-transactions.ts).
   */
  async readBeforeJoin(): Promise<void> {
    try {
      const { stable, userData } = await this.read();
      const map = stable ? InstanceMap.decode(userData) : undefined;
      if (map && this.generation === 0) this.last = map;
    } catch (err) {
      this.logger.debug({ err }, "could not read the group's assignment before joining");
    }
  }

  /** A new assignment arrived: forget the old map and read the new one. Resolves once read (or superseded). */
  assigned(): Promise<void> {
    const generation = ++this.generation;
    this.map = undefined;
    return this.refresh(generation);
  }

  /** Stops reading; resolves once a read in flight has ended (at most `waitMs`), so its client can be closed. */
  async close(waitMs = 5000): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.reading?.catch(() => undefined), new Promise<void>((resolve) => (timer = setTimeout(resolve, waitMs)))]);
    clearTimeout(timer);
  }

  private async refresh(generation: number): Promise<void> {
    // Until the group is Stable (every assignment handed out), or a newer assignment takes over.
    for (let attempt = 1; !this.closed && generation === this.generation; attempt++) {
      try {
        const reading = this.read();
        this.reading = reading;
        const { stable, userData } = await reading;
        if (generation !== this.generation || this.closed) return;
        if (stable) {
          this.map = InstanceMap.decode(userData);
          if (this.map) this.last = this.map;
          if (this.map) this.logger.info({ instances: this.map.servers() }, "task owners known");
          else this.logger.warn("the group's assignment carries no task owners (a member of another Weir version leads?): queries cannot be forwarded");
          return;
        }
      } catch (err) {
        if (attempt % 20 === 1) this.logger.warn({ err, attempt }, "could not read the group's task owners; retrying");
      }
      await new Promise<void>((resolve) => (this.timer = setTimeout(resolve, this.retryMs)));
    }
  }
}
