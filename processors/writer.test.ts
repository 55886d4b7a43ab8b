import { describe, expect, it } from 'vitest';
import type { DeliveryRow, TableRows } from '../schemas/rows.js';
import { createBatcher, type RowWriter } from './writer.js';

/** A writer whose inserts finish when the test says so, recording what each insert carried. */
function controlledWriter() {
  const inserts: Array<{ ids: string[]; finish: (err?: Error) => void }> = [];
  const writer: RowWriter = {
    write: (rows) =>
      new Promise<void>((resolve, reject) => {
        inserts.push({ ids: (rows.deliveries ?? []).map((d) => d.delivery_id), finish: (err) => (err ? reject(err) : resolve()) });
      }),
  };
  return { writer, inserts };
}

const rowsFor = (...ids: string[]): TableRows => ({ deliveries: ids.map((delivery_id) => ({ delivery_id }) as DeliveryRow) });
const tick = () => new Promise((r) => setImmediate(r));
const settled = (p: Promise<void>) => p.then(() => 'resolved', () => 'rejected');

describe('createBatcher (group commit)', () => {
  it('puts one tick of submissions into one insert, and what arrives during it into the next', async () => {
    const { writer, inserts } = controlledWriter();
    const batcher = createBatcher(writer, { maxRows: 100, deadlineMs: 1000 });
    const a = batcher.submit(rowsFor('a'));
    const b = batcher.submit(rowsFor('b'));
    await tick();
    expect(inserts.map((i) => i.ids)).toEqual([['a', 'b']]);
    const c = batcher.submit(rowsFor('c'));
    const d = batcher.submit(rowsFor('d'));
    await tick();
    expect(inserts).toHaveLength(1); // c and d wait for the insert in flight

    const states = [a, b, c, d].map(settled);
    inserts[0]!.finish();
    await tick();
    expect(inserts.map((i) => i.ids)).toEqual([['a', 'b'], ['c', 'd']]);
    inserts[1]!.finish();
    expect(await Promise.all(states)).toEqual(['resolved', 'resolved', 'resolved', 'resolved']);
  });

  it('rejects exactly the callers of a failed insert; later ones still land', async () => {
    const { writer, inserts } = controlledWriter();
    const batcher = createBatcher(writer, { maxRows: 100, deadlineMs: 1000 });
    const a = settled(batcher.submit(rowsFor('a')));
    await tick();
    const b = settled(batcher.submit(rowsFor('b')));
    inserts[0]!.finish(new Error('refused'));
    await tick();
    inserts[1]!.finish();
    expect([await a, await b]).toEqual(['rejected', 'resolved']);
  });

  it('closes a batch at maxRows, and flush waits for every batch', async () => {
    const { writer, inserts } = controlledWriter();
    const batcher = createBatcher(writer, { maxRows: 2, deadlineMs: 1000 });
    const all = ['a', 'b', 'c', 'd', 'e'].map((id) => batcher.submit(rowsFor(id)));
    let flushed = false;
    const flush = batcher.flush().then(() => (flushed = true));
    for (let i = 0; i < 3; i++) {
      await tick();
      expect(flushed).toBe(false);
      inserts[i]!.finish();
    }
    await flush;
    await Promise.all(all);
    expect(inserts.map((i) => i.ids)).toEqual([['a', 'b'], ['c', 'd'], ['e']]);
  });
});
