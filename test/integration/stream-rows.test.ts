import { describe, expect, it } from 'vitest';
import { queryRows, streamRows } from '../../lib/clickhouse.js';
import { testClickHouse } from '../helpers/clickhouse.js';

describe('streamRows', () => {
  it('gives the rows and values queryRows gives, across blocks, with newlines, quotes and multibyte text', async () => {
    const client = await testClickHouse();
    // Small blocks, so rows and multibyte characters straddle the chunks the client receives.
    const sql = `SELECT number AS n, toUInt64(number) * 1000000007 AS big, concat('línea ', toString(number), '\\n"dos"\\t✓') AS text,
      if(number % 3 = 0, NULL, toDateTime64(number, 3, 'UTC')) AS at, number % 2 = 0 AS even
      FROM numbers({count:UInt64}) SETTINGS max_block_size = 1000`;
    const whole = await queryRows(client, sql, { count: 50_000 });
    const batches: Record<string, unknown>[][] = [];
    for await (const batch of streamRows(client, sql, { count: 50_000 })) batches.push(batch);
    expect(batches.length).toBeGreaterThan(1);
    expect(batches.flat()).toEqual(whole);
  });

  it('fails with what the engine said when the query fails', async () => {
    const client = await testClickHouse();
    const consume = async () => {
      for await (const _ of streamRows(client, 'SELECT throwIf(number = 3, {m:String}) FROM numbers(10)', { m: 'stream-rows test failure' }));
    };
    await expect(consume()).rejects.toThrow(/stream-rows test failure/);
  });
});
