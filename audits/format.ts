import type { Column, Row } from './runner.js';

export const formats = ['table', 'csv', 'json'] as const;
export type Format = (typeof formats)[number];

/** One cell as text: NULL as the given marker, booleans as true/false, nested values as JSON. */
export function cellText(value: unknown, nullText: string): string {
  if (value === null || value === undefined) return nullText;
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  return JSON.stringify(value);
}

const csvField = (text: string): string => (/[",\r\n]|^\s|\s$/.test(text) ? `"${text.replace(/"/g, '""')}"` : text);

export const csvHeader = (columns: Column[]): string => `${columns.map((c) => csvField(c.name)).join(',')}\n`;

/** One CSV line of values in column order (a listing's rows as they stream). */
export function csvValues(values: readonly unknown[]): string {
  let line = '';
  for (let i = 0; i < values.length; i++) line += (i ? ',' : '') + csvField(cellText(values[i], ''));
  return `${line}\n`;
}

export const csvLine = (columns: Column[], row: Row): string => csvValues(columns.map((c) => row[c.name]));

/** RFC 4180 CSV with a header row; NULL is an empty field; lines end with \n. */
export function toCsv(columns: Column[], rows: Row[]): string {
  let text = csvHeader(columns);
  for (const row of rows) text += csvLine(columns, row);
  return text;
}

/**
 * Reads CSV produced by toCsv a chunk at a time (quoted fields may hold commas, quotes and newlines):
 * `onRecord` gets each record, so a caller that only counts keeps no rows.
 */
export function csvReader(onRecord: (record: string[]) => void): { push(text: string): void; end(): void } {
  let record: string[] = [];
  let field = '';
  let quoted = false;
  // A '"' that ended a chunk inside a quoted field: closing, or the first half of '""'.
  let quoteAtEnd = false;
  return {
    push(text) {
      for (let i = 0; i < text.length; i++) {
        const ch = text[i]!;
        if (quoteAtEnd) {
          quoteAtEnd = false;
          if (ch === '"') {
            field += '"';
            continue;
          }
          quoted = false;
        }
        if (quoted) {
          if (ch === '"' && i + 1 === text.length) quoteAtEnd = true;
          else if (ch === '"' && text[i + 1] === '"') (field += '"'), i++;
          else if (ch === '"') quoted = false;
          else field += ch;
        } else if (ch === '"' && field === '') quoted = true;
        else if (ch === ',') record.push(field), (field = '');
        else if (ch === '\n') record.push(field), onRecord(record), (record = []), (field = '');
        else field += ch;
      }
    },
    end() {
      if (quoteAtEnd) (quoted = false), (quoteAtEnd = false);
      if (quoted) throw new Error('unterminated quoted field');
      if (field !== '' || record.length > 0) record.push(field), onRecord(record);
    },
  };
}

/** Parses CSV produced by toCsv. */
export function parseCsv(text: string): string[][] {
  const records: string[][] = [];
  const reader = csvReader((r) => records.push(r));
  reader.push(text);
  reader.end();
  return records;
}

const numericType = /^(Nullable\()?(U?Int\d+|Float\d+|Decimal)/;

/** Aligned text columns, numbers right-aligned, NULL spelled out. */
export function toTable(columns: Column[], rows: Row[]): string {
  const cells = rows.map((r) => columns.map((c) => cellText(r[c.name], 'NULL')));
  const widths = columns.map((c, i) => Math.max(c.name.length, ...cells.map((row) => row[i]!.length)));
  const right = columns.map((c) => numericType.test(c.type));
  const line = (values: string[]) => values.map((v, i) => (right[i] ? v.padStart(widths[i]!) : v.padEnd(widths[i]!))).join('  ').trimEnd();
  const out = [line(columns.map((c) => c.name)), widths.map((w) => '-'.repeat(w)).join('  ')];
  for (const row of cells) out.push(line(row));
  out.push(`(${rows.length} row${rows.length === 1 ? '' : 's'})`);
  return out.join('\n') + '\n';
}

export function formatRows(format: Format, columns: Column[], rows: Row[]): string {
  if (format === 'csv') return toCsv(columns, rows);
  if (format === 'json') return JSON.stringify(rows, null, 2) + '\n';
  return toTable(columns, rows);
}
