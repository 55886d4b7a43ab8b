import { appendFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { UnavailableError } from '../lib/errors.js';
import type { DeliveryRow, TableRows } from '../schemas/rows.js';
import { openJournal, readSegment, type Journal, type JournalOptions } from './journal.js';
import type { RowWriter } from './writer.js';

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
const until = async (check: () => boolean, ms = 2000) => {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not reached');
    await new Promise((r) => setTimeout(r, 5));
  }
};
const state = (p: Promise<unknown>) => Promise.race([p.then(() => 'resolved', () => 'rejected'), new Promise((r) => setTimeout(() => r('pending'), 30))]);
const segmentLines = (dir: string) => readdirSync(dir).filter((n) => n.endsWith('.jsonl')).flatMap((n) => readSegment(readFileSync(join(dir, n), 'utf8')));

const open: Journal[] = [];
async function journal(writer: RowWriter, extra: Partial<JournalOptions> = {}) {
  const dir = extra.dir ?? mkdtempSync(join(tmpdir(), 'journal-'));
  const j = await openJournal({ dir, writer, log: pino({ level: 'silent' }), intervalMs: 200, maxRows: 100, maxBacklogRows: 1000, insertDeadlineMs: 1000, retryAfterSeconds: 3, ...extra });
  open.push(j);
  return { j, dir };
}
afterEach(() => void open.splice(0));

describe('journal (embedded mode between ingest and ClickHouse)', () => {
  it('acknowledges once the rows are on disk, before ClickHouse has them; an idle journal inserts at once', async () => {
    const { writer, inserts } = controlledWriter();
    const { j, dir } = await journal(writer);
    await j.append(rowsFor('a'));
    expect(segmentLines(dir)).toEqual([rowsFor('a')]);
    await until(() => inserts.length === 1);
    expect(inserts[0]!.ids).toEqual(['a']);
    expect(j.backlog()).toBe(1);
    inserts[0]!.finish();
    await until(() => j.backlog() === 0);
    expect(segmentLines(dir)).toEqual([]);
  });

  it('while busy, inserts what arrived in one go, at most once per interval', async () => {
    const { writer, inserts } = controlledWriter();
    const { j } = await journal(writer, { intervalMs: 300 });
    await j.append(rowsFor('a'));
    await until(() => inserts.length === 1);
    for (const id of ['b', 'c', 'd']) await j.append(rowsFor(id));
    const finishedAt = Date.now();
    inserts[0]!.finish();
    await until(() => inserts.length === 2);
    expect(Date.now() - finishedAt).toBeGreaterThanOrEqual(250);
    expect(inserts[1]!.ids).toEqual(['b', 'c', 'd']);
    inserts[1]!.finish();
  });

  it('inserts a segment that reached maxRows without waiting for the interval', async () => {
    const { writer, inserts } = controlledWriter();
    const { j } = await journal(writer, { intervalMs: 60_000, maxRows: 2 });
    await j.append(rowsFor('a'));
    await until(() => inserts.length === 1);
    await j.append(rowsFor('b'));
    await j.append(rowsFor('c'));
    await j.append(rowsFor('d'));
    inserts[0]!.finish();
    await until(() => inserts.length === 2);
    expect(inserts[1]!.ids).toEqual(['b', 'c']);
    inserts[1]!.finish();
    expect(await state(until(() => inserts.length === 3, 300))).toBe('pending');
    expect(j.backlog()).toBe(1);
  });

  it('flush() resolves once what was acknowledged before it is in ClickHouse, without waiting for the interval', async () => {
    const { writer, inserts } = controlledWriter();
    const { j } = await journal(writer, { intervalMs: 60_000 });
    await j.append(rowsFor('a'));
    await until(() => inserts.length === 1);
    inserts[0]!.finish();
    await j.append(rowsFor('b'));
    const flushed = j.flush();
    expect(await state(flushed)).toBe('pending');
    await until(() => inserts.length === 2);
    expect(await state(flushed)).toBe('pending');
    inserts[1]!.finish();
    await flushed;
    expect(j.backlog()).toBe(0);
  });

  it('keeps rows ClickHouse refused on disk, retries them, and answers 503 once the backlog is full', async () => {
    const { writer, inserts } = controlledWriter();
    const { j, dir } = await journal(writer, { maxBacklogRows: 2 });
    await j.append(rowsFor('a'));
    await until(() => inserts.length === 1);
    inserts[0]!.finish(new Error('ClickHouse down'));
    await j.append(rowsFor('b'));
    await expect(j.append(rowsFor('c'))).rejects.toBeInstanceOf(UnavailableError);
    expect(segmentLines(dir).map((r) => r.deliveries![0]!.delivery_id).sort()).toEqual(['a', 'b']);
    await until(() => inserts.length === 2, 5000);
    expect(inserts[1]!.ids).toEqual(['a']);
    inserts[1]!.finish();
    await until(() => inserts.length === 3);
    expect(inserts[2]!.ids).toEqual(['b']);
    inserts[2]!.finish();
    await until(() => j.backlog() === 0);
  });

  it('a start inserts what a crash left, dropping only a last line that was never completed (never acknowledged)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'journal-'));
    writeFileSync(join(dir, '000000000007.jsonl'), `${JSON.stringify(rowsFor('x', 'y'))}\n${JSON.stringify(rowsFor('z'))}\n`);
    appendFileSync(join(dir, '000000000008.jsonl'), `${JSON.stringify(rowsFor('w'))}\n{"deliveries":[{"deliv`);
    const { writer, inserts } = controlledWriter();
    const { j } = await journal(writer, { dir });
    await until(() => inserts.length === 1);
    expect(inserts[0]!.ids).toEqual(['x', 'y', 'z']);
    inserts[0]!.finish();
    await until(() => inserts.length === 2);
    expect(inserts[1]!.ids).toEqual(['w']);
    inserts[1]!.finish();
    await j.append(rowsFor('n'));
    await until(() => inserts.length === 3);
    expect(inserts[2]!.ids).toEqual(['n']);
    inserts[2]!.finish();
    await until(() => j.backlog() === 0);
    expect(readdirSync(dir).filter((n) => n.endsWith('.jsonl')).every((n) => Number(n.slice(0, 12)) > 8)).toBe(true);
  });

  it('sets an unreadable segment aside instead of dropping it, and goes on', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'journal-'));
    writeFileSync(join(dir, '000000000003.jsonl'), 'not json\n');
    const { writer, inserts } = controlledWriter();
    const { j } = await journal(writer, { dir });
    expect(existsSync(join(dir, '000000000003.jsonl.unreadable'))).toBe(true);
    await j.append(rowsFor('a'));
    await until(() => inserts.length === 1);
    inserts[0]!.finish();
  });

  it('close() inserts what is pending; rows it cannot insert are there at the next start', async () => {
    const { writer, inserts } = controlledWriter();
    const { j, dir } = await journal(writer, { intervalMs: 60_000 });
    await j.append(rowsFor('a'));
    await until(() => inserts.length === 1);
    inserts[0]!.finish();
    await j.append(rowsFor('b'));
    const closing = j.close();
    await until(() => inserts.length === 2);
    inserts[1]!.finish(new Error('ClickHouse down'));
    await closing;
    expect(segmentLines(dir)).toEqual([rowsFor('b')]);
    await expect(j.append(rowsFor('c'))).rejects.toBeInstanceOf(UnavailableError);
    const again = controlledWriter();
    await journal(again.writer, { dir });
    await until(() => again.inserts.length === 1);
    expect(again.inserts[0]!.ids).toEqual(['b']);
    again.inserts[0]!.finish();
  });
});
