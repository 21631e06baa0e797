// The runtime's assignment strategy as the client port sees it: what a member tells the leader, and the
// leader's decision. Each adapter carries these through its client's group protocol.

export interface MemberSubscription {
  readonly memberId: string;
  readonly userData: Buffer;
}

export interface GroupAssignmentPlanner {
  readonly protocolName: string;
  /** What this member tells the leader when it joins (e.g. the tasks whose state it holds). */
  userData(): Buffer;
  /**
   * The leader's decision: each member's partitions, and user data sent to every member with them.
   * `tentative`: computed in advance, for a group of one the client assigns without asking (not logged).
   */
  assign(members: readonly MemberSubscription[], partitionCount: (topic: string) => number, tentative?: boolean): GroupPlan;
}

export interface GroupPlan {
  /** Member id → topic → partitions. */
  readonly assignments: ReadonlyMap<string, ReadonlyMap<string, number[]>>;
  /** Sent to every member with its assignment (e.g. which member runs which task). */
  readonly userData: Buffer;
}
