import { describe, expect, it } from 'vitest';
import { groupCommit } from './group-commit.js';

const deferred = () => {
  let release!: () => void;
  let fail!: (err: Error) => void;
  const promise = new Promise<void>((resolve, reject) => ((release = resolve), (fail = reject)));
  return { promise, release, fail };
};

describe('groupCommit', () => {
  it('sends one tick\'s items together, and what arrives during a send in the next group', async () => {
    const sent: number[][] = [];
    const gates = [deferred(), deferred()];
    const commit = groupCommit<number>({ send: async (items) => { sent.push(items); await gates[sent.length - 1]!.promise; }, weightOf: () => 1, maxWeight: 100 });
    const first = [commit.submit(1), commit.submit(2)];
    await new Promise((r) => setImmediate(r));
    const later = [commit.submit(3), commit.submit(4), commit.submit(5)];
    expect(sent).toEqual([[1, 2]]);
    gates[0]!.release();
    await Promise.all(first);
    gates[1]!.release();
    await Promise.all(later);
    expect(sent).toEqual([[1, 2], [3, 4, 5]]);
  });

  it('closes a group at maxWeight but still sends a heavier item alone', async () => {
    const sent: number[][] = [];
    const commit = groupCommit<number>({ send: async (items) => void sent.push(items), weightOf: (n) => n, maxWeight: 10 });
    await Promise.all([4, 5, 3, 20, 1].map((n) => commit.submit(n)));
    expect(sent).toEqual([[4, 5], [3], [20], [1]]);
  });

  it('rejects every caller of a failed group with its error, and only them', async () => {
    const commit = groupCommit<string>({ send: async (items) => { if (items.includes('bad')) throw new Error('refused'); }, weightOf: () => 1, maxWeight: 2 });
    const results = await Promise.allSettled(['a', 'bad', 'c'].map((s) => commit.submit(s)));
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected', 'fulfilled']);
    expect((results[0] as PromiseRejectedResult).reason.message).toBe('refused');
  });

  it('refuses unsent what waited past its expiry', async () => {
    const sent: string[][] = [];
    const gate = deferred();
    const commit = groupCommit<string>({
      send: async (items) => { sent.push(items); if (items[0] === 'slow') await gate.promise; },
      weightOf: () => 1, maxWeight: 10, expiry: { afterMs: 30, error: () => new Error('queued too long') },
    });
    const slow = commit.submit('slow');
    await new Promise((r) => setImmediate(r));
    const stale = commit.submit('stale');
    await new Promise((r) => setTimeout(r, 60));
    gate.release();
    await slow;
    await expect(stale).rejects.toThrow('queued too long');
    expect(sent).toEqual([['slow']]);
  });

  it('flush waits for everything submitted so far', async () => {
    let done = 0;
    const commit = groupCommit<number>({ send: async (items) => { await new Promise((r) => setTimeout(r, 5)); done += items.length; }, weightOf: () => 1, maxWeight: 2 });
    for (let i = 0; i < 5; i++) void commit.submit(i);
    await commit.flush();
    expect(done).toBe(5);
  });
});
