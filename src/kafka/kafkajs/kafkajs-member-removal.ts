import { brokerErrorTypes } from '../kafka.errors.js';
import { clusterOf } from './kafkajs-internals.js';

/**
 * Removes `memberId` from the classic group `groupId` with a LeaveGroup sent
 * to the group's coordinator, on a cluster connection of its own that is
 * closed afterwards (kafkajs' consumer only ever leaves as itself). False
 * when the coordinator no longer knows the member (it left or expired).
 */
export async function removeMemberWithKafkajs(
  kafka: object,
  groupId: string,
  memberId: string,
): Promise<boolean> {
  const cluster = clusterOf(kafka);
  try {
    await cluster.connect();
    const coordinator = await cluster.findGroupCoordinator({ groupId });
    await coordinator.leaveGroup({ groupId, memberId });
    return true;
  } catch (error) {
    if (brokerErrorTypes(error).includes('UNKNOWN_MEMBER_ID')) return false;
    throw error;
  } finally {
    await cluster.disconnect().catch(() => undefined);
  }
}
