import { grantOf, informationSchemaViews, systemTables, type Grant, type Role } from '../schemas/access.js';
import { DoorError } from './errors.js';
import { astArgument, treeFields, walk, type Node } from './syntax.js';

/**
 * What a role may run through the SQL door, decided from the engine's own parse and analysis of the
 * statement (sqldoor/syntax.ts), by allow-list: statement kinds, functions, table functions, output
 * formats, and the objects of schemas/access.ts. Pure: the engine's answers come in as trees and a catalog.
 */

export interface FunctionInfo {
  name: string;
  category: string;
  aliasTo: string;
  caseInsensitive: boolean;
}

export interface Catalog {
  functions: ReadonlyMap<string, FunctionInfo>;
  /** Lower-cased names of the case-insensitive functions. */
  functionsCi: ReadonlyMap<string, FunctionInfo>;
  combinators: readonly string[];
  /** `db.name` → engine and, for views, the SELECT they run. */
  objects: ReadonlyMap<string, { engine: string; asSelect: string; columns: ReadonlySet<string> }>;
}

const statements = new Set(['SelectWithUnionQuery', 'DescribeQuery', 'ShowTables', 'ShowColumns', 'ShowCreateTableQuery', 'ShowCreateViewQuery', 'ExistsTableQuery', 'ExistsViewQuery', 'Explain']);
/** What may hang directly under a SELECT: its body, SETTINGS and FORMAT, never INTO OUTFILE. */
const selectParts = new Set(['ExpressionList', 'Set', 'Identifier']);

/** Function categories of system.functions that compute on their arguments only. */
const pureCategories = new Set([
  'Arithmetic', 'Aggregate Functions', 'Type Conversion', 'Dates and Times', 'Arrays', 'String', 'Geo', 'Hash',
  'String Search', 'JSON', 'URL', 'Mathematical', 'Geo Polygon', 'Map', 'IP Address', 'Comparison', 'Tuple',
  'Distance', 'Bitmap', 'Time Series', 'NumericIndexedVector', 'Bit', 'Encoding', 'UUID', 'String Splitting',
  'String Replacement', 'Null', 'Rounding', 'Time Window', 'Encryption', 'Conditional', 'Financial', 'Logical',
  'QBit', 'Random Number', 'Window Functions',
]);
/** Functions of other categories that only describe values, types or the session. */
export const namedFunctions: ReadonlySet<string> = new Set([
  'lambda', 'exists', 'grouping', '_CAST', 'caseWithExpression', 'bar', 'countDigits', 'currentDatabase', 'currentUser', 'currentSchemas',
  'displayName', 'version', 'revision', 'uptime', 'timezone', 'serverTimezone', 'formatReadableDecimalSize',
  'formatReadableQuantity', 'formatReadableSize', 'formatReadableTimeDelta', 'parseReadableSize',
  'parseReadableSizeOrNull', 'parseReadableSizeOrZero', 'parseTimeDelta', 'ignore', 'identity', 'isConstant',
  'materialize', 'toTypeName', 'toColumnTypeName', 'transform', 'visibleWidth', 'runningDifference',
  'runningDifferenceStartingWithFirstValue', 'neighbor', 'rowNumberInAllBlocks', 'rowNumberInBlock',
  'runningAccumulate', 'finalizeAggregation', 'initializeAggregation', 'throwIf', 'defaultValueOfTypeName',
  'defaultValueOfArgumentType', 'isDecimalOverflow', 'getSizeOfEnumType', 'variantElement', 'variantType',
  'getSubcolumn', 'byteSize', 'blockSize', 'blockNumber', 'MACNumToString', 'MACStringToNum', 'MACStringToOUI',
  'errorCodeToName', 'normalizeQuery', 'normalizedQueryHash', 'queryID', 'initialQueryID', 'currentQueryID',
  'getSetting', 'getSettingOrDefault', 'colorSRGBToOKLCH', 'colorOKLCHToSRGB', 'colorSRGBToOKLAB', 'colorOKLABToSRGB',
  'indexHint', 'lowCardinalityIndices', 'lowCardinalityKeys', 'dumpColumnStructure', 'toStartOfInterval',
]);
export const tableFunctions: ReadonlySet<string> = new Set(['numbers', 'numbers_mt', 'zeros', 'zeros_mt', 'generateSeries', 'generate_series', 'values', 'primes']);
const inFunctions = new Set(['in', 'notIn', 'globalIn', 'globalNotIn', 'nullIn', 'notNullIn', 'globalNullIn', 'globalNotNullIn']);

/** Output formats: serializations only (none that reads a schema or template file). */
export const outputFormats = new Map(
  [
    'TabSeparated', 'TSV', 'TabSeparatedRaw', 'TSVRaw', 'Raw', 'TabSeparatedWithNames', 'TSVWithNames', 'TabSeparatedWithNamesAndTypes',
    'TSVWithNamesAndTypes', 'TabSeparatedRawWithNames', 'TSVRawWithNames', 'TabSeparatedRawWithNamesAndTypes', 'TSVRawWithNamesAndTypes',
    'CSV', 'CSVWithNames', 'CSVWithNamesAndTypes', 'JSON', 'JSONStrings', 'JSONCompact', 'JSONCompactStrings', 'JSONEachRow', 'JSONLines',
    'NDJSON', 'JSONStringsEachRow', 'JSONCompactEachRow', 'JSONCompactEachRowWithNames', 'JSONCompactEachRowWithNamesAndTypes',
    'JSONCompactStringsEachRow', 'JSONCompactStringsEachRowWithNames', 'JSONCompactStringsEachRowWithNamesAndTypes', 'JSONEachRowWithProgress',
    'JSONStringsEachRowWithProgress', 'JSONObjectEachRow', 'JSONColumns', 'JSONCompactColumns', 'JSONColumnsWithMetadata', 'Native',
    'RowBinary', 'RowBinaryWithNames', 'RowBinaryWithNamesAndTypes', 'Parquet', 'Arrow', 'ArrowStream', 'ORC', 'Pretty', 'PrettyCompact',
    'PrettyCompactMonoBlock', 'PrettySpace', 'PrettyNoEscapes', 'PrettyCompactNoEscapes', 'Vertical', 'Values', 'Markdown', 'XML', 'TSKV',
    'Null', 'BSONEachRow', 'SQLInsert',
  ].map((f) => [f.toLowerCase(), f]),
);

export interface Context {
  role: Role;
  database: string;
  catalog: Catalog;
}

export interface Checked {
  /** Objects the statement names, `db.name`. */
  tables: string[];
  /** The FORMAT clause, if the statement has one. */
  format: string | undefined;
}

const denied = (message: string) => new DoorError(497, 'ACCESS_DENIED', message);

const qualify = (name: string, database: string) => (name.includes('.') ? name : `${database}.${name}`);

/** The grant a role holds on `db.name`, catalogue tables included. */
export function grantOn(role: Role, qualified: string): Grant {
  const dot = qualified.indexOf('.');
  const db = qualified.slice(0, dot);
  const name = qualified.slice(dot + 1);
  if (db === 'ine_audit') return grantOf(role, name);
  if (db === 'system') {
    const allowed = systemTables[role];
    return allowed === 'all' || allowed.includes(name) ? 'read' : 'none';
  }
  if (db.toLowerCase() === 'information_schema') return role === 'operator' || (informationSchemaViews as readonly string[]).includes(name.toLowerCase()) ? 'read' : 'none';
  return 'none';
}

function requireReadable(ctx: Context, qualified: string): Grant {
  const grant = grantOn(ctx.role, qualified);
  if (grant === 'none') throw denied(`${ctx.role}: Not enough privileges. To execute this query, it's necessary to have the grant SELECT ON ${qualified}`);
  return grant;
}

/** The function a name means (aliases, case-insensitive names, aggregate combinators), or undefined. */
export function resolveFunction(catalog: Catalog, name: string): FunctionInfo | undefined {
  const found = catalog.functions.get(name) ?? catalog.functionsCi.get(name.toLowerCase());
  if (found) return found.aliasTo ? (resolveFunction(catalog, found.aliasTo) ?? found) : found;
  for (const combinator of catalog.combinators) {
    if (name.length > combinator.length && name.endsWith(combinator)) {
      const base = resolveFunction(catalog, name.slice(0, -combinator.length));
      if (base?.category === 'Aggregate Functions') return base;
    }
  }
  return undefined;
}

export function functionAllowed(catalog: Catalog, name: string): boolean {
  if (namedFunctions.has(name)) return true;
  const fn = resolveFunction(catalog, name);
  return fn !== undefined && (pureCategories.has(fn.category) || namedFunctions.has(fn.name));
}

function checkFunction(ctx: Context, name: string): void {
  if (!functionAllowed(ctx.catalog, name)) throw denied(`${ctx.role}: function ${name} is not allowed through the SQL door (it reaches outside the query or is not on the allow-list)`);
}

function checkTableFunction(ctx: Context, name: string): void {
  if (!tableFunctions.has(name)) throw denied(`${ctx.role}: table function ${name} is not allowed through the SQL door`);
}

/**
 * First pass, on the parser's tree, before the analyzer touches anything: the analyzer folds
 * constants and runs scalar subqueries, so whatever it would read must already be allowed here.
 */
export function checkAst(ast: Node, ctx: Context): Checked {
  const statement = ast.children[0];
  if (!statement || ast.children.length !== 1) throw new DoorError(62, 'SYNTAX_ERROR', 'Syntax error: one statement expected');
  if (!statements.has(statement.kind)) throw new DoorError(164, 'READONLY', `${ctx.role}: Cannot execute query in readonly mode: ${statement.kind.replace(/Query$/, '')} statements are not allowed through the SQL door (only SELECT, SHOW, DESCRIBE, EXISTS and EXPLAIN)`);
  if (statement.kind === 'Explain' && statement.children[0]?.kind !== 'SelectWithUnionQuery') throw new DoorError(164, 'READONLY', `${ctx.role}: only EXPLAIN of a SELECT is allowed`);

  let format: string | undefined;
  const select = statement.kind === 'Explain' ? statement.children[0]! : statement;
  if (select.kind === 'SelectWithUnionQuery') {
    for (const part of select.children) {
      if (!selectParts.has(part.kind)) throw new DoorError(164, 'READONLY', `${ctx.role}: INTO OUTFILE is not allowed through the SQL door`);
    }
  }
  if (statement.kind === 'SelectWithUnionQuery' || statement.kind === 'Explain' || statement.kind === 'DescribeQuery') {
    const named = statement.children.find((c) => c.kind === 'Identifier');
    if (named) format = checkFormat(astArgument(named));
  }

  const tables = new Set<string>();
  const restricted = new Map<string, readonly string[]>();
  const note = (qualified: string) => {
    const grant = requireReadable(ctx, qualified);
    tables.add(qualified);
    if (Array.isArray(grant)) restricted.set(qualified, grant);
  };
  const exists = (qualified: string) => ctx.catalog.objects.has(qualified);

  if (statement.kind.startsWith('ShowCreate') || statement.kind.startsWith('Exists')) {
    const names = statement.children.filter((c) => c.kind === 'Identifier').map(astArgument);
    note(names.length === 2 ? `${names[0]}.${names[1]}` : qualify(names[0] ?? '', ctx.database));
  }
  for (const node of walk(statement)) {
    if (node.kind === 'Function') {
      const name = astArgument(node);
      if (node.parent?.kind === 'TableExpression') checkTableFunction(ctx, name);
      else checkFunction(ctx, name);
      const set = node.children[0]?.children[1];
      if (inFunctions.has(name) && set?.kind === 'Identifier') {
        const qualified = qualify(astArgument(set), ctx.database);
        if (exists(qualified)) note(qualified);
      }
    } else if (node.kind === 'TableIdentifier') {
      const name = astArgument(node);
      const qualified = qualify(name, ctx.database);
      // An unqualified name that is no table is a CTE's; the analyzer's tree resolves it.
      if (name.includes('.') || exists(qualified)) note(qualified);
    }
  }

  // A column-granted object: no identifier may name a column outside the grant, and no `*` may expand to one.
  for (const [qualified, granted] of restricted) {
    const allowed = new Set(granted);
    for (const node of walk(statement)) {
      if (node.kind === 'Identifier') {
        const column = astArgument(node).split('.').pop()!;
        if (ctx.catalog.objects.get(qualified)?.columns.has(column) && !allowed.has(column)) throw columnDenied(ctx, qualified, column);
      }
      const countStar = node.kind === 'Asterisk' && node.parent?.parent?.kind === 'Function' && astArgument(node.parent.parent) === 'count';
      if (/Asterisk|Matcher/.test(node.kind) && !countStar) throw columnDenied(ctx, qualified, '*');
    }
  }
  return { tables: [...tables], format };
}

const columnDenied = (ctx: Context, qualified: string, column: string) =>
  denied(`${ctx.role}: Not enough privileges. To execute this query, it's necessary to have the grant SELECT(${column}) ON ${qualified}`);

export function checkFormat(name: string): string {
  const format = outputFormats.get(name.toLowerCase());
  if (!format) throw new DoorError(73, 'UNKNOWN_FORMAT', `Format ${name} is not served by the SQL door`);
  return format;
}

/**
 * Second pass, on the analyzer's tree: every object actually read (CTEs inlined, `*` expanded, IN
 * tables, scalar subqueries), every column of a column-granted object, and what each view reads.
 */
export async function checkQueryTree(tree: Node, ctx: Context, explainView: (query: string) => Promise<Node>, seen = new Set<string>()): Promise<string[]> {
  const tables = new Set<string>();
  const restricted = new Map<string, { qualified: string; granted: Set<string> }>();
  for (const node of walk(tree)) {
    const fields = treeFields(node);
    if (node.kind === 'TABLE' && fields.table_name) {
      const qualified = fields.table_name;
      const grant = requireReadable(ctx, qualified);
      tables.add(qualified);
      if (Array.isArray(grant)) {
        if (node.parent?.kind === 'LIST') throw columnDenied(ctx, qualified, '*');
        restricted.set(fields.id!, { qualified, granted: new Set(grant) });
      }
      const object = ctx.catalog.objects.get(qualified);
      if (object?.engine === 'View' && !seen.has(qualified)) {
        seen.add(qualified);
        for (const inner of await checkQueryTree(await explainView(object.asSelect), ctx, explainView, seen)) tables.add(inner);
      }
    } else if (node.kind === 'TABLE_FUNCTION' && fields.table_function_name) {
      checkTableFunction(ctx, fields.table_function_name);
    } else if (node.kind === 'FUNCTION' && fields.function_name) {
      checkFunction(ctx, fields.function_name);
    }
  }
  for (const node of walk(tree)) {
    if (node.kind !== 'COLUMN') continue;
    const fields = treeFields(node);
    const source = restricted.get(fields.source_id ?? '');
    if (source && !source.granted.has(fields.column_name ?? '')) throw columnDenied(ctx, source.qualified, fields.column_name ?? '?');
  }
  return [...tables];
}
