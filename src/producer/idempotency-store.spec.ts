import { UnprocessableEntityException } from '@nestjs/common';
import { IdempotencyStore } from './idempotency-store.js';

/** A write the test finishes by hand, counting how often it ran. */
function controlledWrite() {
  const calls: { resolve: (v: string) => void; reject: (e: Error) => void }[] =
    [];
  const write = () =>
    new Promise<string>((resolve, reject) => calls.push({ resolve, reject }));
  return { calls, write };
}

describe('IdempotencyStore', () => {
  it('shares the outcome of a request in flight instead of writing again', async () => {
    const store = new IdempotencyStore<string>(10, 60_000);
    const { calls, write } = controlledWrite();
    const first = store.run('k', 'body-a', write);
    const retry = store.run('k', 'body-a', write);
    await Promise.resolve();
    expect(calls).toHaveLength(1);
    calls[0].resolve('written');
    await expect(first).resolves.toEqual({
      result: 'written',
      replayed: false,
    });
    await expect(retry).resolves.toEqual({ result: 'written', replayed: true });
  });

  it('replays a success without writing, and writes again after a failure', async () => {
    const store = new IdempotencyStore<string>(10, 60_000);
    const { calls, write } = controlledWrite();
    const failed = store.run('k', 'body-a', write);
    calls[0].reject(new Error('outcome unknown'));
    await expect(failed).rejects.toThrow('outcome unknown');

    const again = store.run('k', 'body-a', write);
    await Promise.resolve();
    expect(calls).toHaveLength(2);
    calls[1].resolve('written');
    await expect(again).resolves.toMatchObject({ replayed: false });
    await expect(store.run('k', 'body-a', write)).resolves.toEqual({
      result: 'written',
      replayed: true,
    });
    expect(calls).toHaveLength(2);
  });

  it('refuses the key with another request (422), in flight, done or failed', async () => {
    const store = new IdempotencyStore<string>(10, 60_000);
    const { calls, write } = controlledWrite();
    const first = store.run('k', 'body-a', write);
    await expect(store.run('k', 'body-b', write)).rejects.toBeInstanceOf(
      UnprocessableEntityException,
    );
    calls[0].reject(new Error('outcome unknown'));
    await expect(first).rejects.toThrow();
    await expect(store.run('k', 'body-b', write)).rejects.toBeInstanceOf(
      UnprocessableEntityException,
    );
    expect(calls).toHaveLength(1);
  });

  it('forgets keys after their time and the oldest past its size', async () => {
    let now = 0;
    const store = new IdempotencyStore<string>(2, 1_000, () => now);
    const ok = () => Promise.resolve('ok');
    await store.run('a', 'x', ok);
    await store.run('b', 'x', ok);
    await store.run('c', 'x', ok);
    expect(store.size).toBe(2);
    await expect(store.run('a', 'other', ok)).resolves.toMatchObject({
      replayed: false,
    });
    now = 5_000;
    await expect(store.run('b', 'other', ok)).resolves.toMatchObject({
      replayed: false,
    });
  });
});
