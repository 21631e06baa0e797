// Who owns what across the application (Kafka Streams' partitionsByHost): the group leader's task →
// instance decision, sent to every member in the assignment's user data, so that any instance can find
// the one holding a key's task and every instance's HTTP address.

/** The leader's plan as it travels in the assignment's user data (JSON). */
interface InstanceMapData {
  readonly version: 1;
  /** Sub-topology id → its partition count (= its number of tasks). */
  readonly partitions: Record<string, number>;
  /** Task id → the `applicationServer` of the instance that runs it; null when that member advertised none. */
  readonly owners: Record<string, string | null>;
  /** Every member's advertised address, those without tasks too. */
  readonly servers: string[];
  /**
   * Process id → the tasks that instance keeps standbys of (docs/architecture.md, "Standby replicas"). Optional:
   * a map without it (from a leader of an older version, or with no standbys) still decodes.
   */
  readonly standbys?: Record<string, readonly string[]>;
  /** Process id → its `applicationServer`, for the processes in `standbys`: where a stale read finds a standby. Optional too. */
  readonly processServers?: Record<string, string | null>;
  /**
   * Process id → which of its standbys are warm-up replicas, placed to prepare a task's move there
   * (docs/architecture.md, "Warm-up replicas and probing rebalances"). Optional, like `standbys`.
   */
  readonly warmups?: Record<string, readonly string[]>;
  /**
   * The transactional ids of the members' instance producers (exactly-once on @platformatic/kafka): the next
   * leader aborts the open transactions of those no longer in the group. Optional, like `standbys`.
   */
  readonly transactionalIds?: readonly string[];
}

export class InstanceMap {
  private readonly partitions: ReadonlyMap<number, number>;
  private readonly owners: ReadonlyMap<string, string | null>;
  private readonly members: readonly string[];
  private readonly standbys: ReadonlyMap<string, readonly string[]>;
  private readonly processServers: ReadonlyMap<string, string | null>;
  private readonly warmups: ReadonlyMap<string, readonly string[]>;
  private readonly transactions: readonly string[];

  constructor(
    partitions: ReadonlyMap<number, number>,
    owners: ReadonlyMap<string, string | null>,
    servers: Iterable<string | null> = [],
    standbys: ReadonlyMap<string, readonly string[]> = new Map(),
    processServers: ReadonlyMap<string, string | null> = new Map(),
    warmups: ReadonlyMap<string, readonly string[]> = new Map(),
    transactionalIds: readonly string[] = [],
  ) {
    this.transactions = transactionalIds;
    this.partitions = partitions;
    this.owners = owners;
    this.standbys = standbys;
    this.processServers = processServers;
    this.warmups = warmups;
    const all = new Set<string>();
    for (const s of [...servers, ...owners.values()]) if (s !== null) all.add(s);
    this.members = [...all].sort();
  }

  /** The number of tasks (partitions) of a sub-topology; undefined when the plan has none of it. */
  partitionCount(subTopology: number): number | undefined {
    return this.partitions.get(subTopology);
  }

  /** The address of the instance running the task; null when it advertised none; undefined for a task the plan does not have. */
  ownerOf(task: string): string | null | undefined {
    return this.owners.get(task);
  }

  /** Every advertised instance address, sorted. */
  servers(): string[] {
    return [...this.members];
  }

  /** The tasks the instance at `server` runs. */
  tasksOf(server: string): string[] {
    return [...this.owners].filter(([, s]) => s === server).map(([task]) => task);
  }

  /** The tasks the instance with this process id keeps standbys of. */
  standbysOf(processId: string): readonly string[] {
    return this.standbys.get(processId) ?? [];
  }

  /**
   * The addresses of the instances keeping a standby of the task (Kafka Streams' KeyQueryMetadata.standbyHosts),
   * sorted; those that advertised no applicationServer are left out.
   */
  standbyServersOf(task: string): string[] {
    const found = new Set<string>();
    for (const [process, tasks] of this.standbys) {
      const server = this.processServers.get(process);
      if (server && tasks.includes(task)) found.add(server);
    }
    return [...found].sort();
  }

  /** Which of those standbys are warm-up replicas. */
  warmupsOf(processId: string): readonly string[] {
    return this.warmups.get(processId) ?? [];
  }

  /** The members' instance transactional ids. */
  transactionalIds(): readonly string[] {
    return this.transactions;
  }

  encode(): Buffer {
    const data: InstanceMapData = {
      version: 1,
      partitions: Object.fromEntries([...this.partitions].map(([sub, n]) => [String(sub), n])),
      owners: Object.fromEntries(this.owners),
      servers: [...this.members],
      ...(this.standbys.size > 0 ? { standbys: Object.fromEntries(this.standbys) } : {}),
      ...(this.processServers.size > 0 ? { processServers: Object.fromEntries(this.processServers) } : {}),
      ...(this.warmups.size > 0 ? { warmups: Object.fromEntries(this.warmups) } : {}),
      ...(this.transactions.length > 0 ? { transactionalIds: [...this.transactions] } : {}),
    };
    return Buffer.from(JSON.stringify(data), "utf8");
  }

  /** The map in an assignment's user data; undefined when there is none or it is not one (another protocol version). */
  static decode(userData: Buffer | undefined): InstanceMap | undefined {
    if (!userData || userData.length === 0) return undefined;
    let data: Partial<InstanceMapData>;
    try {
      data = JSON.parse(userData.toString("utf8")) as Partial<InstanceMapData>;
    } catch {
      return undefined;
    }
    if (data.version !== 1 || typeof data.partitions !== "object" || typeof data.owners !== "object" || !data.partitions || !data.owners) return undefined;
    const partitions = new Map<number, number>();
    for (const [sub, n] of Object.entries(data.partitions)) if (/^\d+$/.test(sub) && Number.isInteger(n)) partitions.set(Number(sub), n);
    const owners = new Map<string, string | null>();
    for (const [task, server] of Object.entries(data.owners)) if (typeof server === "string" || server === null) owners.set(task, server);
    const servers = Array.isArray(data.servers) ? data.servers.filter((x): x is string => typeof x === "string") : [];
    const processServers = new Map<string, string | null>();
    if (typeof data.processServers === "object" && data.processServers !== null) {
      for (const [process, server] of Object.entries(data.processServers)) if (typeof server === "string" || server === null) processServers.set(process, server);
    }
    const transactionalIds = Array.isArray(data.transactionalIds) ? data.transactionalIds.filter((x): x is string => typeof x === "string") : [];
    return new InstanceMap(partitions, owners, servers, tasksByProcess(data.standbys), processServers, tasksByProcess(data.warmups), transactionalIds);
  }
}

function tasksByProcess(value: unknown): Map<string, string[]> {
  const tasks = new Map<string, string[]>();
  if (typeof value !== "object" || value === null) return tasks;
  for (const [process, list] of Object.entries(value)) if (Array.isArray(list)) tasks.set(process, list.filter((t): t is string => typeof t === "string"));
  return tasks;
}
