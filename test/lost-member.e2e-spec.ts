import { inject } from 'vitest';
import { KafkaAdmin } from '../src/kafka/client/kafka-admin.port.js';
import {
  GROUPS,
  Scenario,
  sessionTimeoutUnderTest,
} from './support/replica-cluster.js';
import { buildAppIfStale, ReplicaProcess } from './support/replica-process.js';
import { TestAdmin } from './support/test-admin.js';
import { ownTopicEnv, TestApp } from './support/test-app.js';

/**
 * #20 (a full outage): a member whose process died without leaving is kept
 * by its group until its session ends. The service removes the members it
 * lost itself (GroupMember's LostMembers) with the admin port's
 * removeGroupMember; this proves that call on the engine under test against
 * the broker's own view of the group. The full-outage fault spec proves what
 * it buys: consuming again within 3 s of the coordinator's load.
 */
describe('removing a member that died without leaving (KafkaAdmin.removeGroupMember)', () => {
  const brokers = inject('kafkaBrokers');
  let admin: TestAdmin;
  let s: Scenario;
  let app: TestApp;

  beforeAll(async () => {
    await buildAppIfStale();
    admin = await new TestAdmin(brokers).connect();
    s = new Scenario(admin, 2);
    await s.createTopic();
  });

  afterAll(async () => {
    await app?.close();
    await ReplicaProcess.killAll();
    await s?.dispose();
    await admin?.disconnect();
  });

  it('a SIGKILLed replica’s members leave both groups at once, long before their session ends; asked again, false', async () => {
    s.printOnFailure();
    const [r1] = await s.start('r1');
    const before = await Promise.all(
      GROUPS.map((g) => admin.describeGroup(s.groupIds[g])),
    );
    for (const group of before) expect(group.members).toHaveLength(1);

    await s.stop(r1, 'SIGKILL');
    const killedAt = Date.now();
    // The broker still holds the dead replica's members.
    const held = await Promise.all(
      GROUPS.map((g) => admin.describeGroup(s.groupIds[g])),
    );
    expect(held.map((g) => g.members.map((m) => m.memberId))).toEqual(
      before.map((g) => g.members.map((m) => m.memberId)),
    );

    // The service's own admin, on the engine under test; it joins no group.
    app = await TestApp.start({
      env: { ...ownTopicEnv(brokers, s.topic, 2), APP_ROLES: 'producer' },
    });
    const kafkaAdmin = app.app.get(KafkaAdmin);
    const removed = await Promise.all(
      GROUPS.map((g, i) =>
        kafkaAdmin.removeGroupMember(
          s.groupIds[g],
          before[i].members[0].memberId,
          5_000,
        ),
      ),
    );
    expect(removed).toEqual([true, true]);
    const after = await Promise.all(
      GROUPS.map((g) => admin.describeGroup(s.groupIds[g])),
    );
    const removedMs = Date.now() - killedAt;
    const sessionMs = await sessionTimeoutUnderTest(admin);
    console.log(
      `members removed ${removedMs} ms after the SIGKILL (session ${sessionMs} ms)`,
    );
    expect(after.map((g) => g.members)).toEqual([[], []]);
    // Gone by the removal, not by their session.
    expect(removedMs).toBeLessThan(sessionMs);

    // A member the group no longer knows: false, not an error.
    await expect(
      kafkaAdmin.removeGroupMember(
        s.groupIds.realtime,
        before[0].members[0].memberId,
        5_000,
      ),
    ).resolves.toBe(false);
  });
});
