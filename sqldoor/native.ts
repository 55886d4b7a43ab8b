/**
 * ClickHouse's Native format as a server writes it for a client's protocol revision.
 *
 * ClickHouse's HTTP handler writes `FORMAT Native` for the `client_protocol_version` the client sends
 * (clickhouse-go/v2 sends 54460 and reads accordingly); clickhouse-local, and so chdb, cannot be told
 * one and always writes revision 0. The difference is framing only: for a revision > 0 every block
 * starts with a BlockInfo, from 54454 every column carries a `has_custom` byte between its type and its
 * data, and from 54480 the BlockInfo has an (empty) `out_of_order_buckets` field. Inserting the column
 * bytes means skipping column data, hence the decoder of data sizes below.
 * Layouts checked against chdb output (sqldoor/native.test.ts); the same rules as NativeWriter:
 * no data at all for a zero-row block, LowCardinality state prefixes before a column's data.
 * Not done: what a server does for revisions below 54405 (LowCardinality sent as its nested type).
 */

const WITH_CUSTOM_SERIALIZATION = 54454;
const WITH_OUT_OF_ORDER_BUCKETS = 54480;

/** One column of a decoded block: its name, type and the bytes of its data. */
export interface NativeColumn { name: string; type: string; data: Uint8Array }
export interface NativeBlock { rows: number; columns: NativeColumn[] }

interface Type { name: string; args: string[] }

const fixedWidths: Record<string, number> = {
  Int8: 1, UInt8: 1, Bool: 1, Enum8: 1, Nothing: 1,
  Int16: 2, UInt16: 2, Date: 2, Enum16: 2, BFloat16: 2,
  Int32: 4, UInt32: 4, Float32: 4, Date32: 4, DateTime: 4, IPv4: 4, Decimal32: 4, Time: 4,
  Int64: 8, UInt64: 8, Float64: 8, DateTime64: 8, Decimal64: 8, Time64: 8,
  Int128: 16, UInt128: 16, UUID: 16, IPv6: 16, Decimal128: 16,
  Int256: 32, UInt256: 32, Decimal256: 32,
};
/** Types ClickHouse prints by a name of their own, and what they are. */
const aliases: Record<string, string> = {
  Point: 'Tuple(Float64, Float64)', Ring: 'Array(Point)', LineString: 'Array(Point)',
  MultiLineString: 'Array(LineString)', Polygon: 'Array(Ring)', MultiPolygon: 'Array(Polygon)',
};

/** Splits `s` at its top-level commas, minding parentheses and quoted strings. */
function splitArgs(s: string): string[] {
  const out: string[] = [];
  let depth = 0, quote = '', start = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (quote) {
      if (c === '\\') i++;
      else if (c === quote) quote = '';
    } else if (c === "'" || c === '`' || c === '"') quote = c;
    else if (c === '(') depth++;
    else if (c === ')') depth--;
    else if (c === ',' && depth === 0) { out.push(s.slice(start, i).trim()); start = i + 1; }
  }
  const last = s.slice(start).trim();
  if (last || out.length) out.push(last);
  return out;
}

export function parseType(text: string): Type {
  const s = text.trim();
  const open = s.indexOf('(');
  if (open < 0) return aliases[s] ? parseType(aliases[s]) : { name: s, args: [] };
  if (!s.endsWith(')')) throw new Error(`Native: cannot parse type ${s}`);
  return { name: s.slice(0, open).trim(), args: splitArgs(s.slice(open + 1, -1)) };
}

/** The type of a Tuple/Nested element, without its name (`a UInt8`, `` `a b` UInt8 ``). */
function elementType(element: string): string {
  if (element.startsWith('`')) return element.slice(element.indexOf('`', 1) + 1);
  const named = /^([^\s(]+)\s+(.+)$/s.exec(element);
  return named ? named[2]! : element;
}

function decimalWidth(precision: number): number {
  return precision <= 9 ? 4 : precision <= 18 ? 8 : precision <= 38 ? 16 : 32;
}

const utf8 = new TextDecoder();

class Reader {
  pos = 0;
  private view: DataView;
  constructor(readonly bytes: Uint8Array) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
  get done(): boolean { return this.pos >= this.bytes.length; }
  skip(n: number): void {
    if (n < 0 || this.pos + n > this.bytes.length) throw new Error('Native: block truncated');
    this.pos += n;
  }
  varint(): number {
    let value = 0, scale = 1;
    for (;;) {
      if (this.pos >= this.bytes.length) throw new Error('Native: block truncated');
      const b = this.bytes[this.pos++]!;
      value += (b & 0x7f) * scale;
      if (b < 0x80) return value;
      scale *= 128;
    }
  }
  uint64(): number {
    this.skip(8);
    return Number(this.view.getBigUint64(this.pos - 8, true));
  }
  string(): string {
    const n = this.varint();
    this.skip(n);
    return utf8.decode(this.bytes.subarray(this.pos - n, this.pos));
  }
}

const unsupported = (t: Type) => new Error(`Native: cannot reframe columns of type ${t.name}${t.args.length ? `(${t.args.join(', ')})` : ''}`);

/** The state prefixes a column writes before its data (LowCardinality's key version, wherever nested). */
function skipPrefix(r: Reader, t: Type): void {
  switch (t.name) {
    case 'LowCardinality': r.skip(8); return;
    case 'Nullable': case 'Array': case 'SimpleAggregateFunction':
      return skipPrefix(r, parseType(t.args[t.args.length - 1]!));
    case 'Tuple': case 'Nested': for (const e of t.args) skipPrefix(r, parseType(elementType(e))); return;
    case 'Map': for (const e of t.args) skipPrefix(r, parseType(e)); return;
  }
}

/** Skips the data of `rows` values of type `t`. */
function skipData(r: Reader, t: Type, rows: number): void {
  const width = fixedWidths[t.name];
  if (width !== undefined) return r.skip(width * rows);
  switch (t.name) {
    case 'Decimal': return r.skip(decimalWidth(Number(t.args[0])) * rows);
    case 'FixedString': return r.skip(Number(t.args[0]) * rows);
    case 'String': for (let i = 0; i < rows; i++) r.skip(r.varint()); return;
    case 'Nullable': r.skip(rows); return skipData(r, parseType(t.args[0]!), rows);
    case 'SimpleAggregateFunction': return skipData(r, parseType(t.args[t.args.length - 1]!), rows);
    case 'Tuple': for (const e of t.args) skipData(r, parseType(elementType(e)), rows); return;
    case 'Array': case 'Nested': case 'Map': {
      let total = 0;
      if (rows > 0) { r.skip(8 * (rows - 1)); total = r.uint64(); }
      const nested = t.name === 'Array' ? parseType(t.args[0]!) : { name: 'Tuple', args: t.args };
      return skipData(r, nested, total);
    }
    case 'LowCardinality': return skipLowCardinality(r, parseType(t.args[0]!), rows);
  }
  throw unsupported(t);
}

const HAS_ADDITIONAL_KEYS = 1 << 9, NEED_GLOBAL_DICTIONARY = 1 << 8;

/** Granules of (index type, [keys], index values) until `rows` values are read; keys are never Nullable. */
function skipLowCardinality(r: Reader, nested: Type, rows: number): void {
  const keys = nested.name === 'Nullable' ? parseType(nested.args[0]!) : nested;
  for (let read = 0; read < rows;) {
    const serialization = r.uint64();
    if (serialization & NEED_GLOBAL_DICTIONARY) throw new Error('Native: LowCardinality with a global dictionary');
    if (serialization & HAS_ADDITIONAL_KEYS) skipData(r, keys, r.uint64());
    const granule = r.uint64();
    if (granule === 0) throw new Error('Native: empty LowCardinality granule');
    r.skip(granule * (1 << (serialization & 0xff)));
    read += granule;
  }
}

/** Where a block's dimensions lie and, per column, where its data starts and ends. */
interface Layout { header: [number, number]; columns: { name: string; type: string; dataStart: number; end: number }[]; rows: number }

/** Reads one block written for `revision` at r.pos: where its header, types and data lie. */
function readBlock(r: Reader, revision: number): Layout {
  if (revision > 0) {
    for (let field = r.varint(); field !== 0; field = r.varint()) {
      if (field === 1) r.skip(1);
      else if (field === 2) r.skip(4);
      else if (field === 3) r.skip(4 * r.varint());
      else throw new Error(`Native: unknown BlockInfo field ${field}`);
    }
  }
  const headerStart = r.pos;
  const numColumns = r.varint(), rows = r.varint();
  const layout: Layout = { header: [headerStart, r.pos], columns: [], rows };
  for (let i = 0; i < numColumns; i++) {
    const name = r.string(), type = r.string();
    if (revision >= WITH_CUSTOM_SERIALIZATION && r.bytes[r.pos++] !== 0) throw new Error(`Native: custom serialization of ${name}`);
    const dataStart = r.pos;
    if (rows > 0) {
      const t = parseType(type);
      skipPrefix(r, t);
      skipData(r, t, rows);
    }
    layout.columns.push({ name, type, dataStart, end: r.pos });
  }
  return layout;
}

/** Decodes concatenated blocks written for `revision` (0: as chdb writes them). */
export function decodeNative(bytes: Uint8Array, revision = 0): NativeBlock[] {
  const r = new Reader(bytes), blocks: NativeBlock[] = [];
  while (!r.done) {
    const { rows, columns } = readBlock(r, revision);
    blocks.push({ rows, columns: columns.map((c) => ({ name: c.name, type: c.type, data: bytes.subarray(c.dataStart, c.end) })) });
  }
  return blocks;
}

/** The blocks of a revision-0 Native stream (a chdb result or stream chunk may hold any number). */
export function* nativeBlocks(bytes: Uint8Array): Generator<Uint8Array> {
  const r = new Reader(bytes);
  while (!r.done) {
    const start = r.pos;
    readBlock(r, 0);
    yield bytes.subarray(start, r.pos);
  }
}

function blockInfo(revision: number): number[] {
  const info = [1, 0, 2, 0xff, 0xff, 0xff, 0xff];
  if (revision >= WITH_OUT_OF_ORDER_BUCKETS) info.push(3, 0);
  return [...info, 0];
}

/**
 * Converts revision-0 Native bytes (one block, several concatenated, or none) to what a ClickHouse
 * server writes for `clientRevision`. Throws, naming the type, on a column it cannot size.
 */
export function reframeNative(block: Uint8Array, clientRevision: number): Uint8Array {
  if (clientRevision <= 0) return block;
  const info = blockInfo(clientRevision), custom = clientRevision >= WITH_CUSTOM_SERIALIZATION;
  const r = new Reader(block), layouts: Layout[] = [];
  let extra = 0;
  while (!r.done) {
    const layout = readBlock(r, 0);
    layouts.push(layout);
    extra += info.length + (custom ? layout.columns.length : 0);
  }
  const out = new Uint8Array(block.length + extra);
  let at = 0;
  const copy = (from: number, to: number) => { out.set(block.subarray(from, to), at); at += to - from; };
  for (const { header, columns } of layouts) {
    out.set(info, at); at += info.length;
    copy(header[0], header[1]);
    let from = header[1];
    for (const c of columns) {
      copy(from, c.dataStart);
      if (custom) out[at++] = 0;
      copy(c.dataStart, c.end);
      from = c.end;
    }
  }
  return out;
}
