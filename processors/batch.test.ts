import { describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { sha256Hex } from '../lib/hash.js';
import type { DeadLetterMessage } from '../schemas/messages.js';
import type { TableRows } from '../schemas/rows.js';
import { makeDecision } from '../test/helpers/fixtures.js';
import { createBatchHandler, type BatchPayload } from './batch.js';
import { deriveDepsFor } from './derive.js';
import type { RowWriter } from './writer.js';

const log = pino({ level: 'silent' });

const accepted = (sessionId: string) => {
  const body = JSON.stringify(makeDecision('decision-approved-ine-match', { sessionId }));
  return JSON.stringify({ v: 1, kind: 'decision', deliveryId: `d-${sessionId}`, integration: 'default', receivedAt: '2025-06-01T10:00:00.000Z', source: 'webhook', bodySha256: sha256Hex(body), body });
};

function payloadOf(values: string[], state = { running: true }): BatchPayload & { resolved: string[] } {
  const resolved: string[] = [];
  return {
    batch: { topic: 'p.veriff.decisions.v1', partition: 2, messages: values.map((v, i) => ({ offset: String(100 + i), key: null, value: Buffer.from(v) })) },
    resolveOffset: (o) => void resolved.push(o),
    heartbeat: async () => {},
    isRunning: () => state.running,
    isStale: () => false,
    resolved,
  };
}

/** A writer that records each write and refuses any that holds a row the test marks as poison. */
function recordingWriter(refuse: (rows: TableRows) => boolean = () => false) {
  const writes: TableRows[] = [];
  const writer: RowWriter = {
    async write(rows) {
      if (refuse(rows)) throw Object.assign(new Error('Cannot parse input'), { code: '27' });
      writes.push(rows);
    },
  };
  return { writer, writes };
}

function handler(writer: RowWriter, maxRows = 10) {
  const commits: string[] = [];
  const letters: DeadLetterMessage[] = [];
  const handle = createBatchHandler({
    topicOf: (name) => (name.endsWith('veriff.decisions.v1') ? 'decisions' : undefined),
    deriveDeps: deriveDepsFor('unit-test-pepper-0123456789'),
    writer,
    publishDeadLetters: async (l) => void letters.push(...l),
    commit: async (_t, partition, next) => void commits.push(`${partition}@${next}`),
    maxRows,
    log,
  });
  return { handle, commits, letters };
}

describe('the batch handler (eachBatch)', () => {
  it('derives, writes, then resolves and commits each chunk past its last message', async () => {
    const { writer, writes } = recordingWriter();
    const { handle, commits, letters } = handler(writer, 2);
    const payload = payloadOf([accepted('s1'), accepted('s2'), accepted('s3')]);
    await handle(payload);
    expect(writes.map((w) => w.decision_rows?.map((r) => r.session_id))).toEqual([['s1', 's2'], ['s3']]);
    expect(writes[0]!.raw_payloads).toHaveLength(2);
    expect(payload.resolved).toEqual(['101', '102']);
    expect(commits).toEqual(['2@102', '2@103']);
    expect(letters).toEqual([]);
  });

  it('dead-letters what does not decode, beside the good rows, and still commits past it', async () => {
    const { writer, writes } = recordingWriter();
    const { handle, commits, letters } = handler(writer);
    await handle(payloadOf([accepted('s1'), '{not json', JSON.stringify({ v: 1, kind: 'event' })]));
    expect(letters.map((l) => [l.offset, l.error.split(':')[0]])).toEqual([['101', 'invalid message'], ['102', 'invalid message']]);
    expect(writes[0]!.dead_letters?.map((d) => d.offset)).toEqual(['101', '102']);
    expect(writes[0]!.decision_rows).toHaveLength(1);
    expect(commits).toEqual(['2@103']);
  });

  it('isolates the one message ClickHouse refuses and writes the rest', async () => {
    const { writer, writes } = recordingWriter((rows) => Boolean(rows.decision_rows?.some((r) => r.session_id === 'poison')));
    const { handle, commits, letters } = handler(writer);
    await handle(payloadOf([accepted('s1'), accepted('poison'), accepted('s3')]));
    expect(letters.map((l) => [l.offset, l.error])).toEqual([['101', 'insert rejected: Cannot parse input']]);
    expect(writes.flatMap((w) => w.decision_rows ?? []).map((r) => r.session_id)).toEqual(['s1', 's3']);
    expect(commits).toEqual(['2@103']);
  });

  it('neither resolves nor commits once the consumer stops running', async () => {
    const { writer, writes } = recordingWriter();
    const { handle, commits } = handler(writer);
    const payload = payloadOf([accepted('s1')], { running: false });
    await handle(payload);
    expect(writes).toEqual([]);
    expect(payload.resolved).toEqual([]);
    expect(commits).toEqual([]);
  });

  it('ignores a topic it does not handle', async () => {
    const { writer, writes } = recordingWriter();
    const { handle, commits } = handler(writer);
    const payload = payloadOf([accepted('s1')]);
    payload.batch.topic = 'someone.else.v1';
    await handle(payload);
    expect([writes, commits]).toEqual([[], []]);
  });
});
