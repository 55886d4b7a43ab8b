import type { DeadLetterMessage } from '../../schemas/messages.js';
import type { DeadLetterRow } from '../../schemas/rows.js';
import { nowClickHouse } from '../../lib/time.js';

/** Where a message that could not be handled sits on Kafka, with its original bytes. */
export interface Position {
  topic: string;
  partition: number;
  offset: string;
  key: string | null;
}

export const deadLetterOf = (at: Position, value: string, error: string): DeadLetterMessage => ({ v: 1, ...at, value, error, at: new Date().toISOString() });

export const normalizeDeadLetter = (d: DeadLetterMessage): DeadLetterRow => ({
  topic: d.topic, partition: d.partition, offset: d.offset, key: d.key, value: d.value, error: d.error, at: nowClickHouse(),
});
