import { describe, expect, it } from 'vitest';
import { rowSchemas, type TableName } from '../../schemas/rows.js';
import { testClickHouse, rows } from '../helpers/clickhouse.js';

/** Columns ClickHouse fills itself; the insert types leave them out. */
const defaulted: Partial<Record<TableName, string[]>> = { decision_rows: ['inserted_at'], event_rows: ['inserted_at'], consent_rows: ['inserted_at'] };

describe('row types mirror the DDL', () => {
  it.each(Object.keys(rowSchemas) as TableName[])('%s', async (table) => {
    const client = await testClickHouse();
    const described = await rows<{ name: string }>(client, `DESCRIBE TABLE ine_audit.${table}`);
    const expected = [...Object.keys(rowSchemas[table].shape), ...(defaulted[table] ?? [])].sort();
    expect(described.map((c) => c.name).sort()).toEqual(expected);
  });

  it('decision columns promised to analysts have their contract types', async () => {
    const client = await testClickHouse();
    const described = await rows<{ name: string; type: string }>(client, 'DESCRIBE TABLE ine_audit.decisions_latest');
    const types = Object.fromEntries(described.map((c) => [c.name, c.type]));
    expect(types).toMatchObject({
      decision_time: "DateTime64(3, 'UTC')",
      ine_face_match: 'Nullable(Bool)',
      ine_face_match_percentage: 'Nullable(UInt8)',
      ine_response_status: 'LowCardinality(Nullable(String))',
      reason_code: 'Nullable(UInt16)',
      ine_threshold_match: 'Nullable(Bool)',
      ine_inconsistent: 'Nullable(Bool)',
      ine_check_performed: 'Bool',
    });
    for (const column of ['session_id', 'attempt_id', 'status', 'code', 'reason', 'integration', 'received_at']) expect(types).toHaveProperty(column);
  });
});
