import { BrokerRanking } from './broker-ranking.js';

describe('BrokerRanking', () => {
  const bootstrap = ['a:1', 'b:2', 'c:3'];

  it('offers every bootstrap broker, in order, while none has hung', () => {
    const ranking = new BrokerRanking(bootstrap);

    expect(ranking.brokers()).toEqual(['a:1', 'b:2', 'c:3']);
  });

  it('leaves out a broker that timed out a request, until the hold ends', () => {
    const ranking = new BrokerRanking(bootstrap, 30_000);

    ranking.hung('a:1', 'Metadata', 1_000);

    expect(ranking.brokers(1_000)).toEqual(['b:2', 'c:3']);
    expect(ranking.brokers(30_999)).toEqual(['b:2', 'c:3']);
    expect(ranking.brokers(31_000)).toEqual(['a:1', 'b:2', 'c:3']);
  });

  it('offers them all when every one has hung, the longest quiet first', () => {
    const ranking = new BrokerRanking(bootstrap);

    ranking.hung('a:1', 'Metadata', 300);
    ranking.hung('b:2', 'Metadata', 100);
    ranking.hung('c:3', 'Metadata', 200);

    expect(ranking.brokers(400)).toEqual(['b:2', 'c:3', 'a:1']);
  });

  it('ignores requests a live broker may hold on purpose (acks=all produce, commit, fetch)', () => {
    const ranking = new BrokerRanking(bootstrap);

    for (const api of ['Produce', 'OffsetCommit', 'Fetch', 'JoinGroup'])
      ranking.hung('a:1', api);

    expect(ranking.brokers()).toEqual(bootstrap);
  });

  it('learns from the REQUEST_TIMEOUT events of a kafkajs client', () => {
    const ranking = new BrokerRanking(bootstrap);
    const listeners: ((e: {
      payload: { broker: string; apiName: string };
    }) => void)[] = [];
    const client = {
      events: { REQUEST_TIMEOUT: 'request_timeout' },
      on: vi.fn((_event: string, listener: (typeof listeners)[number]) =>
        listeners.push(listener),
      ),
    };

    ranking.watch(client);
    listeners[0]?.({ payload: { broker: 'b:2', apiName: 'Metadata' } });

    expect(client.on).toHaveBeenCalledWith(
      'request_timeout',
      expect.any(Function),
    );
    expect(ranking.brokers()).toEqual(['a:1', 'c:3']);
  });
});
