import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '../lib/logger.js';
import { UnavailableError } from '../lib/errors.js';
import { groupCommit } from '../lib/group-commit.js';
import { countRows, mergeRows } from '../pipeline/contract.js';
import type { TableRows } from '../schemas/rows.js';
import type { RowWriter } from './writer.js';

/**
 * Embedded mode's durable queue between ingest and ClickHouse, what Kafka is in the other mode.
 * A webhook is answered once its rows are a line in a segment file in DATA_DIR, written and synced;
 * the rows go on to ClickHouse in large inserts, at most one per intervalMs while busy. chdb's cost
 * is per insert (a part per table and per materialized view), not per row: a decision inserted 64 at
 * a time costs about 1.1 ms of CPU, 800 at a time about 0.15 ms.
 *
 * A start inserts whatever segments are left first. A segment whose insert landed just before a crash
 * is inserted again: the same rows, delivery ids and row versions, which the tables already take as
 * a Kafka redelivery. A line cut short by a crash was never acknowledged and is dropped.
 */
export interface Journal {
  /** Resolves once the rows are on disk; they reach ClickHouse within about intervalMs. */
  append(rows: TableRows): Promise<void>;
  /** Resolves once everything acknowledged before the call is in ClickHouse. */
  flush(): Promise<void>;
  /** Rows acknowledged and not yet in ClickHouse. */
  backlog(): number;
  /** Inserts what is pending; what cannot be inserted stays on disk for the next start. */
  close(): Promise<void>;
}

export interface JournalOptions {
  dir: string;
  writer: RowWriter;
  log: Logger;
  /** While busy, at most one insert per this many ms (an idle journal inserts at once). */
  intervalMs: number;
  /** A segment is inserted as soon as it holds this many rows. */
  maxRows: number;
  /** Beyond this many rows not yet in ClickHouse, appends are refused with 503. */
  maxBacklogRows: number;
  /** How long one insert may keep retrying before its segment waits for the next attempt. */
  insertDeadlineMs: number;
  retryAfterSeconds: number;
}

interface Segment {
  seq: number;
  path: string;
  rows: TableRows;
  count: number;
  handle: FileHandle | null;
  bytes: number;
}

const SUFFIX = '.jsonl';
const segmentPath = (dir: string, seq: number) => join(dir, `${String(seq).padStart(12, '0')}${SUFFIX}`);

/** The rows of a segment file; a last line without its newline is an append that was never acknowledged. */
export function readSegment(text: string): TableRows[] {
  const lines = text.split('\n');
  lines.pop(); // '' after the last newline, or an unfinished last line
  return lines.map((line) => JSON.parse(line) as TableRows);
}

function recover(dir: string, log: Logger): Segment[] {
  const found: Segment[] = [];
  for (const name of readdirSync(dir).filter((n) => n.endsWith(SUFFIX)).sort()) {
    const path = join(dir, name);
    const seq = Number(name.slice(0, -SUFFIX.length));
    try {
      const rows = readSegment(readFileSync(path, 'utf8')).reduce<TableRows>((all, r) => mergeRows(all, r), {});
      found.push({ seq, path, rows, count: countRows(rows), handle: null, bytes: 0 });
    } catch (err) {
      // Not ours to drop: kept aside for an operator, and said loudly.
      renameSync(path, `${path}.unreadable`);
      log.error({ err, path: `${path}.unreadable` }, 'journal segment unreadable, set aside');
    }
  }
  return found;
}

export async function openJournal(options: JournalOptions): Promise<Journal> {
  const { dir, writer, log } = options;
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const sealed = recover(dir, log);
  if (sealed.length) log.info({ segments: sealed.length, rows: sealed.reduce((n, s) => n + s.count, 0) }, 'journal: inserting what the last run left');

  let nextSeq = (sealed.at(-1)?.seq ?? 0) + 1;
  const newSegment = async (): Promise<Segment> => {
    const seq = nextSeq++;
    const path = segmentPath(dir, seq);
    return { seq, path, rows: {}, count: 0, handle: await open(path, 'a', 0o600), bytes: 0 };
  };
  let active = await newSegment();
  let insertedThrough = 0;
  let inserting = false;
  let timer: NodeJS.Timeout | null = null;
  let lastInsertAt = 0;
  let failures = 0;
  let closed = false;
  const waiters: Array<{ seq: number; resolve: () => void }> = [];

  // Appends and segment rotation take turns on the active file.
  let turn: Promise<unknown> = Promise.resolve();
  const exclusive = <T>(work: () => Promise<T>): Promise<T> => {
    const run = turn.then(work);
    turn = run.catch(() => {});
    return run;
  };

  const appends = groupCommit<{ line: string; rows: TableRows }>({
    weightOf: () => 1,
    maxWeight: Number.MAX_SAFE_INTEGER,
    send: (items) =>
      exclusive(async () => {
        const segment = active;
        const text = items.map((i) => i.line).join('');
        try {
          await segment.handle!.write(text);
          await segment.handle!.datasync();
        } catch (err) {
          // Nothing half-written stays behind the lines already acknowledged.
          await segment.handle!.truncate(segment.bytes).catch(() => {});
          throw new UnavailableError('journal write failed', options.retryAfterSeconds, { cause: err });
        }
        segment.bytes += Buffer.byteLength(text);
        for (const item of items) mergeRows(segment.rows, item.rows);
        segment.count += items.reduce((n, i) => n + countRows(i.rows), 0);
        // Acknowledged from here on: a segment that cannot be rotated just grows until the next rotation.
        if (segment.count >= options.maxRows) await rotate().catch((err) => log.error({ err }, 'journal: could not start a new segment'));
        schedule();
      }),
  });

  /** Seals the active segment; the next one is open before it takes over. Holds the turn of its caller. */
  async function rotate(): Promise<void> {
    const next = await newSegment();
    sealed.push(active);
    active = next;
  }

  const backlog = () => sealed.reduce((n, s) => n + s.count, 0) + active.count;

  function settle(): void {
    for (let i = waiters.length - 1; i >= 0; i--) {
      if (waiters[i]!.seq <= insertedThrough) waiters.splice(i, 1)[0]!.resolve();
    }
  }

  function schedule(): void {
    if (inserting || timer || closed || (!sealed.length && !active.count)) return;
    const urgent = waiters.length > 0 || sealed.length > 0;
    const backoff = failures ? Math.min(30_000, 500 * 2 ** Math.min(failures, 6)) : 0;
    const wait = Math.max(backoff, urgent && !failures ? 0 : lastInsertAt + options.intervalMs - Date.now());
    timer = setTimeout(() => {
      timer = null;
      void insertNext();
    }, Math.max(0, wait));
  }

  /** Seals the active segment if it holds rows, then inserts the oldest sealed one. */
  async function insertNext(): Promise<void> {
    inserting = true;
    try {
      if (!sealed.length) {
        await exclusive(async () => {
          if (active.count) await rotate();
        });
      }
      const segment = sealed[0];
      if (!segment) return;
      lastInsertAt = Date.now();
      await writer.write(segment.rows, { deadlineMs: options.insertDeadlineMs });
      sealed.shift();
      failures = 0;
      insertedThrough = segment.seq;
      await segment.handle?.close();
      rmSync(segment.path, { force: true });
      settle();
    } catch (err) {
      failures++;
      log.error({ err, backlog: backlog() }, 'journal: insert into ClickHouse failed; the rows stay on disk and are retried');
    } finally {
      inserting = false;
      schedule();
    }
  }

  schedule();

  return {
    append(rows) {
      if (closed) return Promise.reject(new UnavailableError('shutting down', options.retryAfterSeconds));
      if (backlog() >= options.maxBacklogRows) {
        return Promise.reject(new UnavailableError(`ClickHouse is behind: ${backlog()} accepted rows not yet inserted`, options.retryAfterSeconds));
      }
      return appends.submit({ line: `${JSON.stringify(rows)}\n`, rows });
    },
    async flush() {
      await appends.flush();
      const seq = active.count ? active.seq : (sealed.at(-1)?.seq ?? 0);
      if (seq <= insertedThrough) return;
      await new Promise<void>((resolve) => {
        waiters.push({ seq, resolve });
        if (timer && !failures) {
          clearTimeout(timer);
          timer = null;
        }
        schedule();
      });
    },
    backlog,
    async close() {
      await appends.flush();
      closed = true;
      if (timer) clearTimeout(timer);
      timer = null;
      while (inserting) await new Promise((r) => setTimeout(r, 10));
      if (active.count) sealed.push(active);
      else {
        await active.handle?.close();
        rmSync(active.path, { force: true });
      }
      while (sealed.length) {
        const segment = sealed[0]!;
        try {
          await writer.write(segment.rows, { deadlineMs: options.insertDeadlineMs });
        } catch (err) {
          log.error({ err, segments: sealed.length, rows: backlog() }, 'journal: not inserted at shutdown; the next start inserts it');
          break;
        }
        sealed.shift();
        await segment.handle?.close();
        rmSync(segment.path, { force: true });
      }
      for (const s of sealed) await s.handle?.close();
      insertedThrough = Number.MAX_SAFE_INTEGER;
      settle();
    },
  };
}
