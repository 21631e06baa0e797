// Adapts the runtime's task assignment to kafkajs's partition-assigner interface. The runtime decides
// which member gets which partitions (whole tasks, sticky to the member holding their state); this file
// only moves its decision and each member's user data through the group protocol.
import { AssignerProtocol, type Cluster, type PartitionAssigner } from "kafkajs";
import type { GroupAssignmentPlanner } from "../planner.ts";


export function partitionAssignerFor(planner: GroupAssignmentPlanner): PartitionAssigner {
  return ({ cluster }: { cluster: Cluster }) => ({
    name: planner.protocolName,
    version: 1,
    async assign({ members, topics }) {
      await cluster.refreshMetadataIfNecessary();
      const partitionCount = (topic: string) => {
        if (!topics.includes(topic)) return 0;
        return cluster.findTopicPartitionMetadata(topic).length;
      };
      const subscriptions = members.map((m) => ({
        memberId: m.memberId,
        userData: AssignerProtocol.MemberMetadata.decode(m.memberMetadata)?.userData ?? Buffer.alloc(0),
      }));
      const plan = planner.assign(subscriptions, partitionCount);
      return members.map(({ memberId }) => ({
        memberId,
        memberAssignment: AssignerProtocol.MemberAssignment.encode({
          version: 1,
          assignment: Object.fromEntries(plan.assignments.get(memberId) ?? new Map<string, number[]>()),
          userData: plan.userData,
        }),
      }));
    },
    protocol({ topics }) {
      return {
        name: planner.protocolName,
        metadata: AssignerProtocol.MemberMetadata.encode({ version: 1, topics, userData: planner.userData() }),
      };
    },
  });
}
