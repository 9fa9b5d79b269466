import { inject } from 'vitest';
import { Scenario } from './support/replica-cluster.js';
import { buildAppIfStale } from './support/replica-process.js';
import { TestAdmin } from './support/test-admin.js';
import { waitFor } from './support/wait-for.js';

/** A client retry with the same Idempotency-Key: answered from memory, nothing written twice. */
describe('POST /produce with an Idempotency-Key (real broker, real process)', () => {
  const brokers = inject('kafkaBrokers');
  let admin: TestAdmin;
  let scenario: Scenario;

  beforeAll(async () => {
    await buildAppIfStale();
    admin = await new TestAdmin(brokers).connect();
    scenario = new Scenario(admin, 2);
    await scenario.createTopic();
  });

  afterAll(async () => {
    await scenario?.dispose();
    await admin?.disconnect();
  });

  it('answers a retry with the first answer, writing nothing, with the key in every record header', async () => {
    scenario.printOnFailure();
    const [replica] = await scenario.start('idem');
    const post = (key: string) =>
      fetch(`${replica.url}/produce`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'idempotency-key': key },
        body: JSON.stringify({ messagesPerPartition: 2 }),
      });

    const first = await post('order-42');
    const retry = await post('order-42');
    const other = await post('order-43');
    const bad = await post('has space');

    expect([first.status, retry.status, other.status]).toEqual([201, 201, 201]);
    expect(retry.headers.get('idempotent-replayed')).toBe('true');
    expect(await retry.json()).toEqual(await first.json());
    expect(bad.status).toBe(400);
    expect(await bad.text()).toMatch(/Idempotency-Key must be/);
    const records = await admin.readRecords(scenario.topic, 8);
    const idsOf = (key: string) =>
      records
        .filter((r) => r.headers['idempotency-key'] === key)
        .map((r) => (JSON.parse(r.value) as { id: string }).id)
        .sort();
    const ids42 = idsOf('order-42');
    expect(ids42).toHaveLength(4); // the retry wrote nothing
    expect(new Set(ids42).size).toBe(4);
    expect(new Set(idsOf('order-43')).size).toBe(4);
    expect(idsOf('order-43').some((id) => ids42.includes(id))).toBe(false);

    const analytics = await waitFor(
      async () => {
        const { body } = await replica.get<{
          messages: number;
          repeatsIgnored: number;
        }>('/analytics');
        return body.messages + body.repeatsIgnored === 8 && body;
      },
      { what: 'analytics saw all 8 records' },
    );
    expect(analytics).toMatchObject({ messages: 8, repeatsIgnored: 0 });
    expect(await admin.endOffsets(scenario.topic)).toEqual({ 0: 4, 1: 4 });
  });
});
