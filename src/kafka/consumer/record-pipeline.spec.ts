import type { ConsumedRecord } from '../client/group-consumer.port.js';
import type { GroupMessageMeta } from './group-message.context.js';
import { ConsumerEvents } from './consumer.events.js';
import { MalformedMessageError } from '../kafka.errors.js';
import {
  plainMeta,
  RecordPipeline,
  type RecordPipelineOptions,
} from './record-pipeline.js';

function record(offset: string, value = '{"n":1}'): ConsumedRecord {
  return {
    offset,
    key: Buffer.from('k'),
    value: Buffer.from(value),
    headers: { a: Buffer.from('1'), b: [Buffer.from('x'), 'y'] },
    timestamp: '1700000000000',
  };
}

/** A pipeline whose handler, dead letters and sleeps are recorded; `handle` decides each attempt. */
function pipeline(
  handle: (attempt: number) => unknown,
  overrides: Partial<RecordPipelineOptions> = {},
) {
  const deadLetters: Array<{
    meta: GroupMessageMeta;
    error: Error;
    attempts: number;
  }> = [];
  const handled: GroupMessageMeta[] = [];
  const retries: number[] = [];
  const sleeps: number[] = [];
  let draining = false;
  const events = new ConsumerEvents()
    .on('handled', (meta) => handled.push(plainMeta(meta)))
    .on('retried', (meta) => retries.push(meta.attempt));
  const options: RecordPipelineOptions = {
    groupId: 'g',
    maxRetries: 2,
    retryBackoffMs: 100,
    decode: (value) => {
      const text = value?.toString() ?? '';
      if (!text.startsWith('{')) throw new MalformedMessageError('not JSON');
      return JSON.parse(text) as unknown;
    },
    handle: (_payload, meta) => handle(meta.attempt),
    deadLetter: (meta, _record, error, attempts) => {
      deadLetters.push({ meta: plainMeta(meta), error, attempts });
      return Promise.resolve();
    },
    events,
    draining: () => draining,
    sleep: (ms) => {
      sleeps.push(ms);
      return Promise.resolve();
    },
    ...overrides,
  };
  return {
    pipeline: new RecordPipeline(options),
    deadLetters,
    handled,
    retries,
    sleeps,
    events,
    drain: () => (draining = true),
  };
}

const heartbeat = () => Promise.resolve();

describe('RecordPipeline', () => {
  it('handles a record whose handler returns a plain value, with its meta in plain values', async () => {
    const { pipeline: p, handled, deadLetters } = pipeline(() => 'done');

    const outcome = await p.process('t', 2, record('41'), heartbeat);

    expect(outcome).toEqual({ kind: 'handled' });
    expect(deadLetters).toEqual([]);
    expect(handled).toEqual([
      {
        groupId: 'g',
        topic: 't',
        partition: 2,
        offset: '41',
        key: 'k',
        headers: { a: '1', b: 'x,y' },
        timestamp: 1700000000000,
        sizeBytes: 8,
        attempt: 1,
      },
    ]);
  });

  it('awaits a handler that returns a promise', async () => {
    const { pipeline: p, handled } = pipeline(() => Promise.resolve());

    expect(await p.process('t', 2, record('1'), heartbeat)).toEqual({
      kind: 'handled',
    });
    expect(handled).toHaveLength(1);
  });

  it('retries a failing handler with exponential backoff and a heartbeat between tries, then succeeds', async () => {
    let beats = 0;
    const {
      pipeline: p,
      retries,
      sleeps,
      handled,
    } = pipeline((attempt) => {
      if (attempt < 3) throw new Error(`try ${attempt}`);
    });

    const outcome = await p.process('t', 2, record('5'), () => {
      beats++;
      return Promise.resolve();
    });

    expect(outcome).toEqual({ kind: 'handled' });
    expect(retries).toEqual([1, 2]);
    expect(sleeps).toEqual([100, 200]);
    expect(beats).toBe(2);
    expect(handled.map((m) => m.attempt)).toEqual([3]);
  });

  it('dead-letters after maxRetries + 1 attempts (throw or rejection), with the last error', async () => {
    const {
      pipeline: p,
      deadLetters,
      handled,
    } = pipeline((attempt) => Promise.reject(new Error(`boom ${attempt}`)));

    const outcome = await p.process('t', 2, record('7'), heartbeat);

    expect(outcome).toMatchObject({ kind: 'dead-lettered', attempts: 3 });
    expect(deadLetters).toHaveLength(1);
    expect(deadLetters[0].error.message).toBe('boom 3');
    expect(deadLetters[0].meta).toMatchObject({ offset: '7', attempt: 3 });
    expect(handled).toEqual([]);
  });

  it('dead-letters an undecodable record at once (0 attempts) without calling the handler', async () => {
    let calls = 0;
    const { pipeline: p, deadLetters, retries } = pipeline(() => calls++);

    const outcome = await p.process('t', 2, record('9', 'not json'), heartbeat);

    expect(outcome).toMatchObject({ kind: 'dead-lettered', attempts: 0 });
    expect(deadLetters[0].error).toBeInstanceOf(MalformedMessageError);
    expect(calls).toBe(0);
    expect(retries).toEqual([]);
  });

  it('does not retry a MalformedMessageError thrown by the handler', async () => {
    const { pipeline: p, deadLetters } = pipeline(() => {
      throw new MalformedMessageError('no id');
    });

    expect(await p.process('t', 2, record('3'), heartbeat)).toMatchObject({
      kind: 'dead-lettered',
      attempts: 1,
    });
    expect(deadLetters).toHaveLength(1);
  });

  it('abandons a record whose retries would run into shutdown: neither handled nor dead-lettered', async () => {
    const state = pipeline(() => {
      state.drain();
      throw new Error('fails while shutting down');
    });

    expect(
      await state.pipeline.process('t', 2, record('4'), heartbeat),
    ).toEqual({
      kind: 'abandoned',
    });
    expect(state.deadLetters).toEqual([]);
    expect(state.handled).toEqual([]);
    expect(state.sleeps).toEqual([]);
  });

  it('propagates a failure after handling (the journal) without retry or dead letter: nothing may be committed', async () => {
    const {
      pipeline: p,
      deadLetters,
      retries,
      events,
    } = pipeline(() => undefined);
    events.on('handled', () => {
      throw new Error('disk full');
    });

    await expect(p.process('t', 2, record('8'), heartbeat)).rejects.toThrow(
      'disk full',
    );
    expect(deadLetters).toEqual([]);
    expect(retries).toEqual([]);
  });

  it('propagates a failed dead-letter write: nothing may be committed', async () => {
    const { pipeline: p } = pipeline(
      () => {
        throw new Error('handler');
      },
      { deadLetter: () => Promise.reject(new Error('dlq down')) },
    );

    await expect(p.process('t', 2, record('8'), heartbeat)).rejects.toThrow(
      'dlq down',
    );
  });
});
