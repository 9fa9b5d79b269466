import { type Consumer, kGetApi } from '@platformatic/kafka';
import { brokerErrorTypes } from '../kafka.errors.js';

// @platformatic/kafka 2.12 sends a static member's requests like a dynamic
// one's in two places; both fixes change one request of the library's own
// (through its kGetApi, where each request's API is looked up) and can go
// once the library handles static members itself.

type AnyConsumer = Consumer<Buffer, Buffer, Buffer, Buffer>;
type Callback = (error: Error | null, value?: unknown) => void;
type Api = (...args: unknown[]) => void;
type GetApi = (name: string, callback: Callback) => void;

/** KIP-848's member epoch of a leave for good, and of a static member's leave for the session. */
const LEAVE_EPOCH = -1;
const LEAVE_STATIC_EPOCH = -2;

/** Replaces the API the library sends request `name` with, by `wrap(api)`. */
function wrapApi(
  consumer: AnyConsumer,
  name: string,
  wrap: (api: Api) => Api,
): void {
  const target = consumer as unknown as { [kGetApi]: GetApi };
  const getApi: GetApi = target[kGetApi].bind(consumer);
  target[kGetApi] = (requested, callback) =>
    getApi(requested, (error, api) =>
      requested === name && !error && typeof api === 'function'
        ? callback(null, wrap(api as Api))
        : callback(error, api),
    );
}

/**
 * Makes the next close() of a static member leave the group for the session
 * only, so that its partitions wait for it (a rolling restart moves none):
 * in KIP-848 its leave heartbeat carries member epoch -2 instead of -1, and
 * in the classic protocol it sends no LeaveGroup (KIP-345). The library
 * always leaves for good. Call it right before close(): only the leave,
 * which close() sends last, is changed.
 */
export function leaveForTheSessionOnClose(consumer: AnyConsumer): void {
  // (connection, groupId, memberId, memberEpoch, instanceId, ...)
  wrapApi(consumer, 'ConsumerGroupHeartbeat', (api) => (...args) => {
    if (args[3] === LEAVE_EPOCH && args[4]) args[3] = LEAVE_STATIC_EPOCH;
    api(...args);
  });
  wrapApi(consumer, 'LeaveGroup', () => (...args) => {
    const done = args[args.length - 1] as Callback;
    process.nextTick(() => done(null, { errorCode: 0, members: [] }));
  });
}

/**
 * Classic protocol: when another member joins with this member's instance
 * id, the broker fences this one (FENCED_INSTANCE_ID in its heartbeat); the
 * library would rejoin at once and fence the other in turn, the two taking
 * the partitions from each other silently. Instead `fenced` is told, and
 * this consumer does not join again with the id (a new one must).
 */
export function stopWhenFenced(
  consumer: AnyConsumer,
  fenced: (error: Error) => void,
): void {
  let fence: Error | undefined;
  wrapApi(consumer, 'Heartbeat', (api) => (...args) => {
    const done = args[args.length - 1] as Callback;
    args[args.length - 1] = (error: Error | null, response?: unknown) => {
      if (error && brokerErrorTypes(error).includes('FENCED_INSTANCE_ID')) {
        fence = error;
        fenced(error);
      }
      done(error, response);
    };
    api(...args);
  });
  wrapApi(consumer, 'JoinGroup', (api) => (...args) => {
    const done = args[args.length - 1] as Callback;
    if (fence) process.nextTick(() => done(fence ?? null));
    else api(...args);
  });
}
