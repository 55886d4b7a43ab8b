import type { Pseudonymize } from '../lib/pseudonym.js';

/** What a normalizer needs besides the payload: delivery metadata and the keyed hash. */
export interface NormalizeContext {
  deliveryId: string;
  integration: string;
  source: string;
  /** ClickHouse time text, UTC. */
  receivedAt: string;
  /** Monotonic per derivation, so a replay replaces the rows it re-derives. */
  rowVersion: number;
  pseudonymize: Pseudonymize;
}
