import { type Consumer, kGetApi } from '@platformatic/kafka';

type AnyConsumer = Consumer<Buffer, Buffer, Buffer, Buffer>;
type Callback = (error: Error | null, value?: unknown) => void;
type Api = (...args: unknown[]) => void;
type GetApi = (name: string, callback: Callback) => void;

/** KIP-848's member epoch of a leave for good, and of a static member's leave for the session. */
const LEAVE_EPOCH = -1;
const LEAVE_STATIC_EPOCH = -2;

/**
 * Makes the next close() of a static member leave the group for the session
 * only, so that its partitions wait for it (a rolling restart moves none):
 * in KIP-848 its leave heartbeat carries member epoch -2 instead of -1, and
 * in the classic protocol it sends no LeaveGroup (KIP-345). @platformatic/kafka
 * 2.12 always leaves for good, even with a groupInstanceId; this goes once
 * the library leaves temporarily by itself. Call it right before close():
 * it changes only the leave request, which close() sends last.
 */
export function leaveForTheSessionOnClose(consumer: AnyConsumer): void {
  const target = consumer as unknown as { [kGetApi]: GetApi };
  const getApi: GetApi = target[kGetApi].bind(consumer);
  target[kGetApi] = (name, callback) =>
    getApi(name, (error, api) => {
      if (error || typeof api !== 'function') {
        callback(error, api);
      } else if (name === 'ConsumerGroupHeartbeat') {
        // (connection, groupId, memberId, memberEpoch, instanceId, ...)
        callback(null, (...args: unknown[]) => {
          if (args[3] === LEAVE_EPOCH && args[4]) args[3] = LEAVE_STATIC_EPOCH;
          (api as Api)(...args);
        });
      } else if (name === 'LeaveGroup') {
        callback(null, (...args: unknown[]) => {
          const done = args[args.length - 1] as Callback;
          process.nextTick(() => done(null, { errorCode: 0, members: [] }));
        });
      } else {
        callback(null, api);
      }
    });
}
