// Exactly-once on @platformatic/kafka (docs/architecture.md, "Exactly-once, per client"): a member that left the
// group without ending its transaction (SIGKILL, a lost machine, an expired session) leaves it open on the
// broker. Its offsets then make the committed-offset reads of its tasks' new owners wait (UNSTABLE_OFFSET_COMMIT)
// and its records hold the changelogs' last stable offset, until the broker aborts it at the transaction timeout
// (transactionTimeoutMs, plus up to the coordinator's 10 s check interval). Weir aborts it at once instead: the
// group's task map carries every member's transactional id, and when a new map lacks ids the previous one had,
// one remaining member (the one with the least id) runs InitProducerId for each. That bumps the departed id's
// epoch, which aborts its open transaction and fences its producer should it still be running (its tasks have
// moved: the zombie path). The map, not the leader's assignor, because a lone member is assigned by its client
// without one.
import type { TaskOutput } from "../kafka/index.ts";
import type { MemberInfo } from "./group-planner.ts";
import type { InstanceMap } from "./instance-map.ts";
import type { Logger } from "./logger.ts";

export class DepartedTransactions {
  /** This instance's own transactional id, which its subscription carries to the leader and the map to all. */
  readonly ownId: string;
  private readonly open: (transactionalId: string) => TaskOutput;
  private readonly logger: Logger;
  private readonly inFlight = new Set<Promise<void>>();

  /** `open` makes a transactional producer for a transactional id (not initialized). */
  constructor(ownId: string, open: (transactionalId: string) => TaskOutput, logger: Logger) {
    this.ownId = ownId;
    this.open = open;
    this.logger = logger;
  }

  /** What the group planner sends of this member: its transactional id. */
  memberInfo(): Pick<MemberInfo, "transactionalId"> {
    return { transactionalId: this.ownId };
  }

  /**
   * A new assignment's map is known: the ids `previous` had and `current` lacks are of members that left the group.
   * Only the remaining member with the least id aborts their transactions (the others would only repeat it).
   */
  assigned(previous: InstanceMap | undefined, current: InstanceMap | undefined): void {
    if (!previous || !current) return;
    const remaining = current.transactionalIds();
    if ([...remaining].sort()[0] !== this.ownId) return;
    this.abort(previous.transactionalIds().filter((id) => !remaining.includes(id)));
  }

  /** Aborts, in the background, whatever transactions the instances with these transactional ids left open. */
  abort(transactionalIds: readonly string[]): void {
    for (const id of transactionalIds) {
      const done = this.abortOne(id).finally(() => this.inFlight.delete(done));
      this.inFlight.add(done);
    }
  }

  /** Waits for the aborts under way, at most `waitMs` (their producers are closed with the client). */
  async close(waitMs = 5000): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([Promise.all(this.inFlight), new Promise<void>((resolve) => (timer = setTimeout(resolve, waitMs)))]);
    clearTimeout(timer);
  }

  private async abortOne(transactionalId: string): Promise<void> {
    const started = Date.now();
    const output = this.open(transactionalId);
    try {
      await output.init();
      this.logger.info({ transactionalId, ms: Date.now() - started }, "fenced the producer of an instance that left the group (its open transaction, if any, is aborted)");
    } catch (err) {
      // Not fatal: the broker aborts the transaction at its timeout anyway.
      this.logger.warn({ err, transactionalId }, "could not fence the producer of an instance that left the group; its open transaction, if any, ends at its timeout");
    } finally {
      await output.close().catch(() => undefined);
    }
  }
}
