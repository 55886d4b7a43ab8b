import { Session } from 'chdb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeNative, nativeBlocks, parseType, reframeNative } from './native.js';

const SERVER = 54460;
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const concat = (parts: Uint8Array[]) => new Uint8Array(Buffer.concat(parts));

/** Every type the reframer sizes, with NULLs, empty arrays and nesting; `n` is the row number. */
const columns: [string, string, string][] = [
  ['i8', 'Int8', 'toInt8(-n)'], ['u8', 'UInt8', 'n'], ['i16', 'Int16', '-300 * n'], ['u16', 'UInt16', '300 * n'],
  ['i32', 'Int32', '-70000 * n'], ['u32', 'UInt32', '70000 * n'], ['i64', 'Int64', '-n * 1e12'], ['u64', 'UInt64', 'n * 1e12'],
  ['i128', 'Int128', '-n'], ['u128', 'UInt128', 'n'], ['i256', 'Int256', '-n'], ['u256', 'UInt256', 'n'],
  ['f32', 'Float32', 'n / 3'], ['f64', 'Float64', 'n / 7'], ['bf', 'BFloat16', 'n * 1.5'], ['b', 'Bool', 'n % 2 = 0'],
  ['d', 'Date', "toDate('2024-01-01') + n"], ['d32', 'Date32', "toDate32('1950-01-01') + n"],
  ['dt', 'DateTime', 'toDateTime(1700000000 + n)'], ['dtz', "DateTime('Europe/Madrid')", 'toDateTime(1700000000 + n)'],
  ['dt64', 'DateTime64(3)', 'toDateTime64(1700000000 + n, 3)'], ['dt64z', "DateTime64(6, 'America/Mexico_City')", 'toDateTime64(1700000000 + n, 6)'],
  ['uuid', 'UUID', "toUUID(concat('00000000-0000-4000-8000-', leftPad(toString(n), 12, '0')))"], ['ip4', 'IPv4', 'toIPv4(n)'], ['ip6', 'IPv6', "toIPv6('::1')"],
  ['dec', 'Decimal(10, 2)', 'n / 4'], ['dec32', 'Decimal32(3)', 'n'], ['dec64', 'Decimal64(4)', 'n'], ['dec128', 'Decimal128(5)', 'n'],
  ['dec256', 'Decimal256(6)', 'n'], ['dec76', 'Decimal(76, 10)', 'n'],
  ['e8', "Enum8('a,b' = 1, 'c)' = 2)", "if(n % 2 = 0, 'a,b', 'c)')"], ['e16', "Enum16('x' = 1000, 'y''z' = -3)", "if(n % 3 = 0, 'x', 'y''z')"],
  ['s', 'String', "repeat('é', n)"], ['fs', 'FixedString(5)', 'toString(n)'],
  ['ns', 'Nullable(String)', 'if(n % 3 = 0, NULL, toString(n))'], ['ni', 'Nullable(Int64)', 'if(n % 2 = 0, NULL, n)'],
  ['arr', 'Array(UInt32)', 'range(n % 4)'], ['ans', 'Array(Nullable(String))', "arrayMap(x -> if(x % 2 = 0, NULL, toString(x)), range(n % 5))"],
  ['aa', 'Array(Array(String))', 'arrayMap(x -> arrayMap(toString, range(x)), range(n % 3))'],
  ['tup', 'Tuple(UInt8, String)', '(n, toString(n))'],
  ['ntup', 'Tuple(id UInt64, `the name` Nullable(String), inner Tuple(a Date, b Array(LowCardinality(String))))',
    "(n, if(n % 2 = 0, NULL, 'x'), (toDate('2024-01-01'), arrayMap(toString, range(n % 3))))"],
  ['m', 'Map(String, UInt64)', "mapFromArrays(arrayMap(toString, range(n % 3)), range(n % 3))"],
  ['mlc', 'Map(LowCardinality(String), Array(Nullable(Float64)))', "map('k', [NULL, n])"],
  ['lc', 'LowCardinality(String)', 'toString(n % 3)'], ['lcn', 'LowCardinality(Nullable(String))', 'if(n % 4 = 0, NULL, toString(n % 3))'],
  ['lcfs', 'LowCardinality(FixedString(3))', 'toString(n % 2)'], ['alc', 'Array(LowCardinality(Nullable(String)))', "[NULL, toString(n)]"],
  ['saf', 'SimpleAggregateFunction(anyLast, Nullable(String))', 'if(n = 1, NULL, toString(n))'], ['safs', 'SimpleAggregateFunction(sum, UInt64)', 'n'],
  ['pt', 'Point', '(n, -n)'], ['poly', 'Polygon', '[[(0, 0), (n, n)]]'],
];

/** Ten rows of the wide table, computed per block so that max_block_size splits them. */
const wide = `(SELECT ${columns.map(([c, t, e]) => `CAST(${e} AS ${t}) AS ${c}`).join(', ')} FROM (SELECT number AS n FROM numbers(10)))`;

let session: Session;
const native = async (sql: string) => new Uint8Array((await session.queryAsync(sql, { format: 'Native' })).bytes());

beforeAll(() => { session = new Session(); });
afterAll(() => session?.close());

/** What a server writes: decoded with the server layout, the same columns and rows as chdb's. */
function expectSameContent(reframed: Uint8Array, original: Uint8Array) {
  const content = (blocks: ReturnType<typeof decodeNative>) =>
    blocks.map((b) => ({ rows: b.rows, columns: b.columns.map((c) => ({ ...c, data: hex(c.data) })) }));
  expect(content(decodeNative(reframed, SERVER))).toEqual(content(decodeNative(original, 0)));
}

describe('reframeNative', () => {
  it('puts BlockInfo before a block and has_custom after each type (hand-checked bytes)', async () => {
    const chdb = await native('SELECT toInt32(number) AS a FROM numbers(2)');
    expect(hex(chdb)).toBe('0102' + '0161' + '05' + hex(Buffer.from('Int32')) + '00000000' + '01000000');
    expect(reframeNative(chdb, 0)).toBe(chdb);
    expect(hex(reframeNative(chdb, SERVER))).toBe('0100' + '02ffffffff' + '00' + '0102' + '0161' + '05' + hex(Buffer.from('Int32')) + '00' + '00000000' + '01000000');
    // Below 54454 no has_custom; from 54480 BlockInfo's field 3 (out_of_order_buckets, empty).
    expect(hex(reframeNative(chdb, 54405))).toBe('010002ffffffff00' + hex(chdb));
    expect(hex(reframeNative(chdb, 54483)).slice(0, 24)).toBe('010002ffffffff0300' + '000102');
  });

  it('sizes every column type of the wide table, in one block and several', async () => {
    for (const blockSize of [65409, 3]) {
      const chdb = await native(`SELECT * FROM ${wide} SETTINGS max_block_size = ${blockSize}`);
      const blocks = decodeNative(chdb, 0);
      expect(blocks.map((b) => b.rows)).toEqual(blockSize === 3 ? [3, 3, 3, 1] : [10]);
      expect(blocks[0]!.columns.map((c) => c.name)).toEqual(columns.map(([c]) => c));
      expect(reframeNative(chdb, 0)).toBe(chdb);
      const reframed = reframeNative(chdb, SERVER);
      expect(reframed.length).toBe(chdb.length + blocks.length * (8 + columns.length));
      expectSameContent(reframed, chdb);
      // Block by block gives the same bytes as the whole result at once.
      expect(concat([...nativeBlocks(chdb)].map((b) => reframeNative(b, SERVER)))).toEqual(reframed);
    }
  });

  it('finds each column data where a single-column result puts it (independent of its neighbours)', async () => {
    // From a table, so that values under NULLs are the same bytes in both results.
    await session.queryAsync(`CREATE TABLE wide ENGINE = Memory AS SELECT * FROM ${wide}`);
    const [block] = decodeNative(await native('SELECT * FROM wide'), 0);
    for (const [name, type] of columns) {
      const alone = await native(`SELECT ${name} FROM wide`);
      const column = block!.columns.find((c) => c.name === name)!;
      const header = 2 + 1 + name.length + 1 + Buffer.byteLength(column.type);
      expect(hex(column.data), `${name} ${type}`).toBe(hex(alone.subarray(header)));
    }
  });

  it('covers Nothing, empty nested LowCardinality and wide LowCardinality indexes', async () => {
    for (const sql of [
      'SELECT NULL AS n, [] AS e, [NULL] AS en, []::Array(LowCardinality(String)) AS el FROM numbers(3)',
      'SELECT toLowCardinality(toString(number)) AS lc16, toLowCardinality(toNullable(toString(number % 300))) AS lcn FROM numbers(1000)',
      'SELECT toLowCardinality(toString(number)) AS lc32 FROM numbers(70000) SETTINGS max_block_size = 70000',
    ]) {
      const chdb = await native(sql);
      expectSameContent(reframeNative(chdb, SERVER), chdb);
    }
  });

  it('handles stream chunks (one block each) and empty results', async () => {
    const whole = await native(`SELECT * FROM ${wide} SETTINGS max_block_size = 4`);
    const chunks: Uint8Array[] = [];
    for await (const chunk of session.queryStream(`SELECT * FROM ${wide} SETTINGS max_block_size = 4`, { format: 'Native' })) {
      expect([...nativeBlocks(chunk.raw())]).toHaveLength(1);
      expect(decodeNative(chunk.raw())[0]!.rows).toBe(chunk.numRows);
      chunks.push(reframeNative(chunk.raw(), SERVER));
    }
    expect(chunks).toHaveLength(3);
    expect(concat(chunks)).toEqual(reframeNative(whole, SERVER));

    const none = await native(`SELECT * FROM ${wide} WHERE 0`);
    expect(none.length).toBe(0);
    expect(reframeNative(none, SERVER).length).toBe(0);
    // A zero-row block (header only, no data, not even LowCardinality's key version).
    const header = concat([Buffer.from([2, 0, 1, 0x61]), Buffer.from('\x16LowCardinality(String)'), Buffer.from('\x01b\x05Int32')]);
    expect(hex(reframeNative(header, SERVER))).toBe('010002ffffffff00' + hex(header.subarray(0, 27)) + '00' + hex(header.subarray(27)) + '00');
  });

  it('names the type it cannot size', async () => {
    for (const [expr, type] of [
      ["CAST(1, 'Variant(UInt8, String)')", 'Variant'], ["CAST(1, 'Dynamic')", 'Dynamic'],
      ['uniqState(1)', 'AggregateFunction'], [`'{"a":1}'::JSON`, 'JSON'],
    ]) {
      const chdb = await native(`SELECT 1 AS x, ${expr} AS y`);
      expect(() => reframeNative(chdb, SERVER)).toThrow(new RegExp(`type ${type}\\b`));
      expect(reframeNative(chdb, 0)).toBe(chdb);
    }
    expect(() => reframeNative(Uint8Array.from([1, 1, 1, 0x61, 5, ...Buffer.from('Int32'), 0]), SERVER)).toThrow(/truncated/);
  });

  it('parses nested types with quoted arguments', () => {
    expect(parseType("Enum8('a,b' = 1, 'c)' = 2)")).toEqual({ name: 'Enum8', args: ["'a,b' = 1", "'c)' = 2"] });
    expect(parseType("Tuple(`x, y` Map(String, Tuple(a DateTime64(3, 'UTC'))), Nullable(String))").args)
      .toEqual(["`x, y` Map(String, Tuple(a DateTime64(3, 'UTC')))", 'Nullable(String)']);
    expect(parseType('Point')).toEqual({ name: 'Tuple', args: ['Float64', 'Float64'] });
  });
});
