import { randomUUID } from 'node:crypto';
import { pino } from 'pino';
import type { ClickHouseClient } from '../../lib/clickhouse.js';
import { sha256Hex } from '../../lib/hash.js';
import type { AcceptedMessage, PayloadKind } from '../../schemas/messages.js';
import type { TableRows } from '../../schemas/rows.js';
import { decodeBody } from '../../processors/decode.js';
import { deriveAccepted, deriveDepsFor } from '../../processors/derive.js';
import { mergeRows } from '../../pipeline/contract.js';
import { createRowWriter } from '../../processors/writer.js';

export interface SeedItem {
  kind: PayloadKind;
  /** The payload object (or raw JSON text) exactly as it would arrive. */
  body: unknown;
  integration?: string;
  /** ISO 8601; default now. */
  receivedAt?: string;
  deliveryId?: string;
}

const deps = deriveDepsFor('test-pepper-0123456789abcdef');

/** The rows the pipeline would derive from these payloads (same normalize code), without Kafka or HTTP. */
export function rowsFor(items: SeedItem[]): TableRows {
  const rows: TableRows = {};
  for (const item of items) {
    const body = typeof item.body === 'string' ? item.body : JSON.stringify(item.body);
    const message: AcceptedMessage = {
      v: 1,
      kind: item.kind,
      deliveryId: item.deliveryId ?? randomUUID(),
      integration: item.integration ?? 'default',
      receivedAt: item.receivedAt ?? new Date().toISOString(),
      source: 'import',
      bodySha256: sha256Hex(body),
      body,
    };
    const decoded = decodeBody(message);
    if (!decoded.ok) throw new Error(`seed item rejected: ${decoded.error}`);
    mergeRows(rows, deriveAccepted(decoded.value, deps));
  }
  return rows;
}

/** Insert payloads through the normalize + writer path into a migrated ClickHouse. */
export async function seedPayloads(client: ClickHouseClient, items: SeedItem[]): Promise<void> {
  await createRowWriter(client, pino({ level: 'silent' })).write(rowsFor(items));
}

/** Insert ready-made rows (e.g. rejection_log, dead_letters, quarantine) directly. */
export async function seedRows(client: ClickHouseClient, rows: TableRows): Promise<void> {
  await createRowWriter(client, pino({ level: 'silent' })).write(rows);
}
