import type { AcceptedMessage, QuarantineMessage, RejectionMessage } from '../schemas/messages.js';

export type AcceptedTopic = 'decisions' | 'events' | 'consents';

/**
 * Where ingest hands what it received. Kafka in Kafka mode; the processors' own normalize/insert
 * path in embedded mode. accept() and quarantine() resolve only once the data is durable.
 */
export interface Sink {
  accept(topic: AcceptedTopic, messages: Array<{ key: string; message: AcceptedMessage }>): Promise<void>;
  quarantine(key: string, message: QuarantineMessage): Promise<void>;
  /** Best effort: a rejection record must never turn a 401 into a 5xx. */
  reject(message: RejectionMessage): Promise<void>;
  ready(): Promise<Record<string, boolean>>;
}
