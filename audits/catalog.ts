import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { auditThresholdParams } from '../schemas/thresholds.js';

/**
 * The audit query catalog: one `.sql` file per query in audits/queries, each opening with a comment
 * header the runner reads. The file's text is what runs (ClickHouse ignores the comments) and what an
 * evidence pack ships, so the SQL an auditor reads is byte for byte the SQL that produced the CSV.
 *
 *   -- @name consent-coverage
 *   -- @title One line
 *   -- @description Free text; lines indented under a tag continue it
 *   -- @param from DateTime64(3, 'UTC') required Start of the period, inclusive
 *   -- @param late_minutes UInt32 optional default 60 Threshold in minutes
 *
 * The judging levels (schemas/thresholds.ts) are placeholders too, `{ine_match_threshold:UInt8}`, filled
 * by the runner from that module: fixed parameters, not options, so the SQL never spells a level.
 */

export const queriesDir = join(dirname(fileURLToPath(import.meta.url)), 'queries');

/** ClickHouse parameter types the runner knows how to validate. */
export const supportedTypes = ["DateTime64(3, 'UTC')", 'String', 'Nullable(String)', 'UInt32'] as const;
export type ParamType = (typeof supportedTypes)[number];

export interface AuditParam {
  name: string;
  type: ParamType;
  required: boolean;
  /** Text of the default value, for optional parameters that have one. */
  defaultValue?: string;
  description: string;
}

export interface AuditQuery {
  name: string;
  title: string;
  description: string;
  params: AuditParam[];
  /** The levels from schemas/thresholds.ts this query uses, sent with its parameters. */
  fixed: Record<string, number>;
  /** The whole file, header included: exactly what is sent and what a pack ships. */
  sql: string;
  file: string;
  /** The same question over the views, when the query reads a pre-aggregate instead (definitionOf). */
  definition?: string;
}

/**
 * A query's definition over the views, what the fast query must equal: a file of the same name in
 * audits/queries/definitions (queries that read decision_facts, the decisions pre-aggregate), else
 * the query itself with consent_verdicts read as consent_audit (the same rows, kept pre-aggregated).
 * test/audits/definitions.test.ts holds each to its definition; `npm run bench -- audits` times the
 * definition as the baseline. Packs ship the fast query.
 */
export const definitionOf = (query: AuditQuery): string => query.definition ?? query.sql.replaceAll('ine_audit.consent_verdicts', 'ine_audit.consent_audit');

export class CatalogError extends Error {
  override name = 'CatalogError';
}

const namePattern = /^[a-z][a-z0-9-]*$/;
const paramNamePattern = /^[a-z][a-z0-9_]*$/;

/** Reads a type at the start of `text`: an identifier, then a balanced parenthesised argument list. */
function readType(text: string): { type: string; rest: string } {
  const ident = /^[A-Za-z][A-Za-z0-9]*/.exec(text);
  if (!ident) return { type: '', rest: text };
  let i = ident[0].length;
  if (text[i] === '(') {
    let depth = 0;
    for (; i < text.length; i++) {
      if (text[i] === '(') depth++;
      else if (text[i] === ')' && --depth === 0) break;
    }
    if (depth !== 0) return { type: '', rest: text };
    i++;
  }
  return { type: text.slice(0, i), rest: text.slice(i).trim() };
}

export function parseParamLine(line: string, file: string): AuditParam {
  const m = /^(\S+)\s+(.*)$/.exec(line.trim());
  if (!m || !paramNamePattern.test(m[1]!)) throw new CatalogError(`${file}: bad @param line "${line}" (want: name Type required|optional [default V] description)`);
  const name = m[1]!;
  const { type, rest } = readType(m[2]!);
  if (!(supportedTypes as readonly string[]).includes(type)) {
    throw new CatalogError(`${file}: @param ${name} has unsupported type "${type}" (supported: ${supportedTypes.join(', ')})`);
  }
  const flag = /^(required|optional)(?:\s+default\s+(\S+))?\s*(.*)$/.exec(rest);
  if (!flag) throw new CatalogError(`${file}: @param ${name} must say required or optional`);
  const required = flag[1] === 'required';
  if (required && flag[2] !== undefined) throw new CatalogError(`${file}: @param ${name} is required and cannot have a default`);
  return { name, type: type as ParamType, required, ...(flag[2] !== undefined ? { defaultValue: flag[2] } : {}), description: flag[3] ?? '' };
}

/** `{name:Type}` placeholders in the body, in order of first use. */
export function placeholdersOf(sql: string): Array<{ name: string; type: string }> {
  const found = new Map<string, string>();
  const body = sql.replace(/^\s*--.*$/gm, '');
  for (const m of body.matchAll(/\{([A-Za-z_][A-Za-z0-9_]*)\s*:\s*([^{}]+?)\s*\}/g)) {
    const [name, type] = [m[1]!, m[2]!.replace(/\s+/g, ' ').replace(/\s*,\s*/g, ', ')];
    const seen = found.get(name);
    if (seen !== undefined && seen !== type) throw new CatalogError(`placeholder {${name}} used with two types: ${seen} and ${type}`);
    found.set(name, type);
  }
  return [...found].map(([name, type]) => ({ name, type }));
}

function headerTags(sql: string): Array<{ tag: string; text: string }> {
  const tags: Array<{ tag: string; text: string }> = [];
  for (const line of sql.split('\n')) {
    if (!line.startsWith('--')) break;
    const content = line.slice(2);
    const tag = /^\s*@(\w+)\s*(.*)$/.exec(content);
    if (tag) tags.push({ tag: tag[1]!, text: tag[2]!.trim() });
    else if (tags.length > 0 && /^\s{2,}\S/.test(content)) tags[tags.length - 1]!.text += ' ' + content.trim();
  }
  return tags;
}

/** Parses one query file; every declared parameter must be used and every placeholder declared. */
export function parseQueryFile(sql: string, file: string): AuditQuery {
  const tags = headerTags(sql);
  const one = (tag: string): string => {
    const hits = tags.filter((t) => t.tag === tag);
    if (hits.length !== 1 || !hits[0]!.text) throw new CatalogError(`${file}: needs exactly one non-empty @${tag}`);
    return hits[0]!.text;
  };
  const unknown = tags.find((t) => !['name', 'title', 'description', 'param'].includes(t.tag));
  if (unknown) throw new CatalogError(`${file}: unknown header tag @${unknown.tag}`);
  const name = one('name');
  if (!namePattern.test(name)) throw new CatalogError(`${file}: query name "${name}" must be kebab-case`);
  if (file.replace(/^.*\//, '') !== `${name}.sql`) throw new CatalogError(`${file}: file must be named ${name}.sql`);
  const params = tags.filter((t) => t.tag === 'param').map((t) => parseParamLine(t.text, file));
  const declared = new Map(params.map((p) => [p.name, p]));
  if (declared.size !== params.length) throw new CatalogError(`${file}: a parameter is declared twice`);
  let used: Array<{ name: string; type: string }>;
  try {
    used = placeholdersOf(sql);
  } catch (err) {
    throw new CatalogError(`${file}: ${(err as Error).message}`);
  }
  const fixed: Record<string, number> = {};
  for (const u of used) {
    if (u.name in auditThresholdParams) {
      if (u.type !== 'UInt8' || declared.has(u.name)) throw new CatalogError(`${file}: {${u.name}} is a fixed level: use it as {${u.name}:UInt8}, undeclared`);
      fixed[u.name] = auditThresholdParams[u.name as keyof typeof auditThresholdParams];
      continue;
    }
    const p = declared.get(u.name);
    if (!p) throw new CatalogError(`${file}: placeholder {${u.name}:${u.type}} is not declared with @param`);
    if (p.type !== u.type) throw new CatalogError(`${file}: {${u.name}} is declared ${p.type} but used as ${u.type}`);
  }
  const unused = params.find((p) => !used.some((u) => u.name === p.name));
  if (unused) throw new CatalogError(`${file}: @param ${unused.name} is never used`);
  // No ';' at all, not even in a comment or a string: the client appends FORMAT after the text, and the
  // embedded store's admin endpoint refuses any query containing ';' (its one-statement guard).
  if (sql.includes(';')) throw new CatalogError(`${file}: must not contain ';' anywhere`);
  return { name, title: one('title'), description: one('description'), params, fixed, sql, file };
}

export function loadCatalog(dir = queriesDir): Map<string, AuditQuery> {
  const catalog = new Map<string, AuditQuery>();
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.sql')).sort()) {
    const query = parseQueryFile(readFileSync(join(dir, file), 'utf8'), file);
    const definition = join(dir, 'definitions', file);
    catalog.set(query.name, existsSync(definition) ? { ...query, definition: readFileSync(definition, 'utf8') } : query);
  }
  return catalog;
}
