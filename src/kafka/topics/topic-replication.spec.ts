import { replicationWarning } from './topic.service.js';

describe('replicationWarning', () => {
  it('says nothing for 3 replicas and min.insync.replicas=2 on 3 brokers', () => {
    expect(
      replicationWarning(
        't',
        { replicationFactor: 3, minInsyncReplicas: 2 },
        3,
      ),
    ).toBeUndefined();
  });

  it('warns when one replica is all a 3-broker cluster keeps (the forgotten setting)', () => {
    expect(
      replicationWarning(
        't',
        { replicationFactor: 1, minInsyncReplicas: 1 },
        3,
      ),
    ).toMatch(/^Topic t has 1 replica \(min.insync.replicas=1, 3 brokers\)/);
  });

  it('warns when the replicas do not exceed min.insync.replicas (one broker down stops writes)', () => {
    expect(
      replicationWarning(
        't',
        { replicationFactor: 2, minInsyncReplicas: 2 },
        2,
      ),
    ).toMatch(/stops writes/);
  });

  it('warns on a single broker too: no copy survives its loss', () => {
    expect(
      replicationWarning(
        't',
        { replicationFactor: 1, minInsyncReplicas: 1 },
        1,
      ),
    ).toMatch(/has 1 replica/);
  });

  it('reads an unknown min.insync.replicas as Kafka’s default, 1', () => {
    expect(
      replicationWarning(
        't',
        { replicationFactor: 2, minInsyncReplicas: null },
        2,
      ),
    ).toBeUndefined();
  });
});
