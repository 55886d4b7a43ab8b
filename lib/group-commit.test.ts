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

  it('sends an item submitted the moment an earlier send resolved its caller (a closed loop never stalls)', async () => {
    const sent: number[][] = [];
    const commit = groupCommit<number>({ send: async (items) => void sent.push(items), weightOf: () => 1, maxWeight: 10 });
    for (let i = 0; i < 5; i++) await commit.submit(i);
    expect(sent).toEqual([[0], [1], [2], [3], [4]]);
  });

  it('flush waits for everything submitted so far', async () => {
    let done = 0;
    const commit = groupCommit<number>({ send: async (items) => { await new Promise((r) => setTimeout(r, 5)); done += items.length; }, weightOf: () => 1, maxWeight: 2 });
    for (let i = 0; i < 5; i++) void commit.submit(i);
    await commit.flush();
    expect(done).toBe(5);
  });

  it('while busy, lets a group wait for the rest of a burst (closed-loop callers answered together)', async () => {
    const sent: number[][] = [];
    const commit = groupCommit<number>({ send: async (items) => { sent.push(items); await new Promise((r) => setTimeout(r, 5)); }, weightOf: () => 1, maxWeight: 100, lingerMs: 200, quietMs: 40 });
    // Each caller submits again as soon as it is answered, one after another, as clients of an HTTP service do.
    const caller = async (id: number, rounds: number) => {
      for (let r = 0; r < rounds; r++) {
        // The callers come back one event-loop turn after another, not in the same one (a loaded machine may
    // take some ms for those turns: the quiet window here is wide enough that they never end a burst).
        for (let turn = 0; turn < id * 3; turn++) await new Promise((res) => setImmediate(res));
        await commit.submit(id);
      }
    };
    await Promise.all([0, 1, 2, 3, 4, 5].map((id) => caller(id, 4)));
    // Without the wait the groups alternate [0], [1..5], [0], ... (8 sends); with it, once busy, each holds every caller.
    expect(sent.length).toBeLessThanOrEqual(5);
    expect(sent.slice(2, -1).every((g) => g.length === 6)).toBe(true);
    expect(sent.flat()).toHaveLength(24);
  });

  it('never makes an item wait after a lull, and stops waiting at lingerMs', async () => {
    const sentAt: number[] = [];
    const commit = groupCommit<number>({ send: async () => void sentAt.push(Date.now()), weightOf: () => 1, maxWeight: 100, lingerMs: 50 });
    let t = Date.now();
    await commit.submit(1);
    expect(Date.now() - t).toBeLessThan(40);
    // Busy now: a steady trickle (one item every ms) still goes out by lingerMs.
    t = Date.now();
    const trickle: Array<Promise<void>> = [];
    for (let i = 0; i < 100; i++) {
      trickle.push(commit.submit(i));
      await new Promise((r) => setTimeout(r, 1));
    }
    await Promise.all(trickle);
    expect(sentAt.length).toBeGreaterThan(2);
    for (let i = 2; i < sentAt.length; i++) expect(sentAt[i]! - sentAt[i - 1]!).toBeLessThan(50 + 40);
  });
});
