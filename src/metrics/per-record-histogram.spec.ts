import { Histogram, Registry } from 'prom-client';
import { PerRecordHistogram } from './per-record-histogram.js';

const BUCKETS = [0.0005, 0.001, 0.01, 0.1, 1];
const NAME = 'test_handler_seconds';
const HELP = 'Per-record time';

/** prom-client's own Histogram and ours, each in a registry of its own. */
function pair() {
  const theirs = new Registry();
  const ours = new Registry();
  const histogram = new Histogram({
    name: NAME,
    help: HELP,
    labelNames: ['group'],
    buckets: BUCKETS,
    registers: [theirs],
  });
  const perRecord = new PerRecordHistogram(NAME, HELP, 'group', BUCKETS, ours);
  return {
    theirs,
    ours,
    observe(group: string, value: number) {
      histogram.labels({ group }).observe(value);
      perRecord.labels(group).observe(value);
    },
  };
}

describe('PerRecordHistogram', () => {
  it("exposes the same text as prom-client's Histogram for the same observations", async () => {
    const { theirs, ours, observe } = pair();
    // Bounds themselves, between them, zero, past the last one, two groups.
    const values = [0, 0.0005, 0.0007, 0.001, 0.01, 0.05, 0.1, 1, 7.5, 1e-9];
    values.forEach((value, i) =>
      observe(i % 3 ? 'realtime' : 'analytics', value),
    );
    for (let i = 0; i < 1_000; i++) observe('realtime', (i % 97) / 10_000);

    expect(await ours.metrics()).toBe(await theirs.metrics());
    expect(await ours.metrics()).toContain(
      `${NAME}_bucket{le="+Inf",group="analytics"} 4`,
    );
  });

  it('shows a series at zero from its first use, and again after a reset', async () => {
    const registry = new Registry();
    const perRecord = new PerRecordHistogram(
      NAME,
      HELP,
      'group',
      BUCKETS,
      registry,
    );
    const series = perRecord.labels('realtime');
    expect(await registry.metrics()).toContain(
      `${NAME}_count{group="realtime"} 0`,
    );
    series.observe(0.002);
    series.observe(0.003);
    const text = await registry.metrics();
    expect(text).toContain(`${NAME}_bucket{le="0.001",group="realtime"} 0`);
    expect(text).toContain(`${NAME}_bucket{le="0.01",group="realtime"} 2`);
    expect(text).toContain(`${NAME}_sum{group="realtime"} 0.005`);
    registry.resetMetrics();
    expect(await registry.metrics()).toContain(
      `${NAME}_bucket{le="+Inf",group="realtime"} 0`,
    );
  });
});
