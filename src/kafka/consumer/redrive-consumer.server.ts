import { Logger } from '@nestjs/common';
import type { GroupConsumerPort } from '../client/group-consumer.port.js';
import { errorMessage } from '../kafka.errors.js';
import { GroupConsumerServer } from './group-consumer.server.js';

/** How long a stop waits for a start in progress before it closes anyway. */
const START_WAIT_MS = 5_000;
const RETRY_MS = 2_000;

/**
 * A group's redrive reader: a GroupConsumerServer on the group's redrive
 * topic, in the group's redrive consumer group. It never holds up or fails
 * the boot (Nest waits for every transport before the app counts as
 * started, and a replica asked to stop meanwhile would exit 1): it reports
 * ready at once, joins in the background, and tries again after a failure
 * until the app stops. Readiness does not wait for it either: redrives are
 * rare, and what is sent while it joins waits in its topic.
 */
export class RedriveConsumerServer extends GroupConsumerServer {
  private readonly redriveLogger = new Logger(RedriveConsumerServer.name);
  private starting: Promise<void> | undefined;
  private stopping: Promise<void> | undefined;

  override listen(callback: (error?: unknown) => void): Promise<void> {
    callback();
    this.starting = this.startInBackground();
    return Promise.resolve();
  }

  override close(): Promise<void> {
    this.stopping ??= (async () => {
      // A consumer created by a start still in progress is then closed too.
      await Promise.race([this.starting, sleep(START_WAIT_MS)]);
      await super.close();
    })();
    return this.stopping;
  }

  private leaveFailedStart(): Promise<void> {
    return disconnectQuietly(this);
  }

  private async startInBackground(): Promise<void> {
    while (!this.stopping) {
      let failure: unknown;
      await super.listen((error) => (failure = error));
      if (failure === undefined || this.stopping) return;
      this.redriveLogger.warn(
        `${this.state.name} cannot start yet (${errorMessage(failure)}); again in ${RETRY_MS / 1_000} s`,
      );
      await sleep(RETRY_MS);
      // The consumer of the failed start, if one was made, goes before the next.
      await this.leaveFailedStart();
    }
  }
}

/** Disconnects a consumer a failed start left behind (none: nothing to do). */
async function disconnectQuietly(server: GroupConsumerServer): Promise<void> {
  try {
    await server.unwrap<GroupConsumerPort>().disconnect();
  } catch {
    // No consumer, or one that was never connected.
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
