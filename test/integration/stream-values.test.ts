import { createClient } from '@clickhouse/client';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { queryRows, streamValues, type ClickHouseClient } from '../../lib/clickhouse.js';
import { loadConfig } from '../../lib/config.js';
import { withLocalSecrets } from '../../lib/local-secrets.js';
import { createLogger } from '../../lib/logger.js';
import { startDoor, type Door } from '../../sqldoor/door.js';
import { testClickHouse, testDataDir } from '../helpers/clickhouse.js';

// Rows straddle blocks and chunks (chdb streams blocks of ~65,000 rows through the door), with
// newlines, quotes, tabs and multibyte text in them.
const sql = `SELECT number AS n, toUInt64(number) * 1000000007 AS big, concat('línea ', toString(number), '\\n"dos"\\t✓') AS text,
  if(number % 3 = 0, NULL, toDateTime64(number, 3, 'UTC')) AS at, number % 2 = 0 AS even
  FROM numbers({count:UInt64})`;
const count = 200_000;

async function streamed(client: ClickHouseClient): Promise<unknown[][][]> {
  const batches: unknown[][][] = [];
  for await (const batch of streamValues(client, sql, { count })) batches.push(batch);
  return batches;
}

/** queryRows' rows as values in column order (JSONEachRow keeps the query's order of keys). */
const valuesOf = async (client: ClickHouseClient) => (await queryRows(client, sql, { count })).map((row) => Object.values(row));

describe('streamValues', () => {
  const clients: ClickHouseClient[] = [];
  let door: Door | undefined;
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.close()));
    await door?.stop();
  });

  it('gives the values queryRows gives, in column order and bounded batches', async () => {
    const client = await testClickHouse();
    const whole = await valuesOf(client);
    const batches = await streamed(client);
    expect(batches.length).toBeGreaterThan(1);
    expect(Math.max(...batches.map((b) => b.length))).toBeLessThanOrEqual(8192);
    expect(batches.flat()).toEqual(whole);
  });

  it.runIf(!inject('services')?.clickhouseUrl)('the same through the SQL door, block by block', async () => {
    const store = await testClickHouse();
    const config = withLocalSecrets(loadConfig({ DATA_DIR: testDataDir() }), { integrations: false });
    door = await startDoor({ config, client: store, log: createLogger('silent'), port: 0, announce: false });
    const analyst = createClient({ url: door.url, username: 'analyst', password: config.sqlDoor.passwords.analyst!, database: 'ine_audit' });
    clients.push(analyst);
    expect((await streamed(analyst)).flat()).toEqual(await valuesOf(store));
  });

  it('fails with what the engine said when the query fails', async () => {
    const client = await testClickHouse();
    const consume = async () => {
      for await (const _ of streamValues(client, 'SELECT throwIf(number = 3, {m:String}) FROM numbers(10)', { m: 'stream-values test failure' }));
    };
    await expect(consume()).rejects.toThrow(/stream-values test failure/);
  });
});
