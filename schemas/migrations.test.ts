import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadMigrations, migrationsDir, splitStatements } from '../lib/migrate.js';

describe('migrations', () => {
  it('are numbered with unique, contiguous, zero-padded prefixes', () => {
    const files = readdirSync(migrationsDir).filter((f) => f.endsWith('.sql')).sort();
    expect(files.every((f) => /^\d{4}_[a-z0-9_]+\.sql$/.test(f))).toBe(true);
    expect(files.map((f) => Number(f.slice(0, 4)))).toEqual(files.map((_, i) => i + 1));
  });

  it('use idempotent DDL', () => {
    for (const m of loadMigrations()) {
      for (const s of m.statements.filter((s) => /^(CREATE|ALTER)/i.test(s))) {
        expect(s, m.name).toMatch(/IF NOT EXISTS|IF EXISTS/i);
      }
    }
  });

  it('split statements at a semicolon ending a line only', () => {
    expect(splitStatements("CREATE TABLE a (x String DEFAULT ';');\n-- note\nINSERT INTO a VALUES ('x;y');\n")).toEqual(["CREATE TABLE a (x String DEFAULT ';')", "INSERT INTO a VALUES ('x;y')"]);
  });
});
