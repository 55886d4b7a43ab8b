import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { testClickHouse } from '../helpers/clickhouse.js';
import { catalog } from './support.js';

/*
 * deploy/clickhouse/users.d/readonly-users.xml, checked against the migrations and the audit catalog:
 * analysts can run every audit query, and can never read a table that keeps request bodies.
 */
const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const xml = readFileSync(join(repoRoot, 'deploy', 'clickhouse', 'users.d', 'readonly-users.xml'), 'utf8').replace(/<!--[\s\S]*?-->/g, '');
const migrationsDir = join(repoRoot, 'schemas', 'migrations');
const migrations = readdirSync(migrationsDir).filter((f) => f.endsWith('.sql')).map((f) => readFileSync(join(migrationsDir, f), 'utf8'));

/** Tables and views that expose request bodies: never granted. */
const restricted = ['raw_payloads', 'quarantine', 'quarantine_pending', 'dead_letters'];

const block = (text: string, tag: string): string => {
  const m = new RegExp(`<${tag}>([\\s\\S]*?)</${tag}>`).exec(text);
  if (!m) throw new Error(`<${tag}> not found`);
  return m[1]!;
};
const queries = (text: string) => [...text.matchAll(/<query>([^<]+)<\/query>/g)].map((m) => m[1]!.trim());
const roleGrants = queries(block(block(xml, 'roles'), 'ine_audit_reader'));
const columnGrant = /^GRANT SELECT\(([a-z_, ]+)\) ON ine_audit\.([a-z_]+)$/;
const granted = new Set(roleGrants.filter((q) => !columnGrant.test(q)).map((q) => /^GRANT SELECT ON ine_audit\.([a-z_]+)$/.exec(q)?.[1] ?? `unexpected: ${q}`));
/** Column grants: the metadata of a restricted table, never the columns that carry bodies. */
const grantedColumns = new Map(roleGrants.flatMap((q) => { const m = columnGrant.exec(q); return m ? [[m[2]!, m[1]!.split(',').map((c) => c.trim())] as const] : []; }));
const bodyColumns = ['body', 'value', 'key', 'errors'];
const referenced = (sql: string) => new Set([...sql.replace(/^\s*--.*$/gm, '').matchAll(/\bine_audit\.([a-z_]+)/g)].map((m) => m[1]!));
const views = new Map(
  migrations.flatMap((m) => [...m.matchAll(/CREATE VIEW IF NOT EXISTS ine_audit\.([a-z_]+) AS([\s\S]*)/g)].map((v) => [v[1]!, referenced(v[2]!)] as const)),
);
const dropped = new Set(migrations.flatMap((m) => [...m.matchAll(/DROP (?:TABLE|VIEW) IF EXISTS ine_audit\.([a-z_]+)/g)].map((x) => x[1]!)));
const objects = new Set([...migrations.flatMap((m) => [...m.matchAll(/CREATE (?:TABLE|VIEW) IF NOT EXISTS ine_audit\.([a-z_]+)/g)].map((x) => x[1]!)).filter((name) => !dropped.has(name)), 'schema_migrations']);

describe('read-only ClickHouse users', () => {
  it('the role grants SELECT on single named objects only', () => {
    expect(roleGrants.every((q) => /^GRANT SELECT ON ine_audit\.[a-z_]+$/.test(q) || columnGrant.test(q))).toBe(true);
    expect(xml).not.toMatch(/ine_audit\.\*|ON \*\.\*/);
  });

  it('never grants a table that keeps request bodies', () => {
    for (const table of restricted) expect(granted.has(table), table).toBe(false);
    for (const [table, columns] of grantedColumns) {
      expect(restricted, table).toContain(table);
      expect(columns.filter((c) => bodyColumns.includes(c)), table).toEqual([]);
    }
  });

  it('grants every object an audit query reads, and what the views read in turn', () => {
    const needed = new Set<string>();
    const add = (name: string) => {
      if (needed.has(name)) return;
      needed.add(name);
      for (const inner of views.get(name) ?? []) add(inner);
    };
    for (const q of catalog.values()) for (const name of referenced(q.sql)) add(name);
    for (const name of needed) expect(granted.has(name), `audit queries need SELECT on ine_audit.${name}`).toBe(true);
    for (const view of granted) for (const inner of views.get(view) ?? []) expect(granted.has(inner), `view ${view} reads ${inner}`).toBe(true);
  });

  it('decides about every table and view the migrations create', () => {
    for (const name of objects) {
      expect(granted.has(name) || restricted.includes(name), `new object ine_audit.${name}: grant it in deploy/clickhouse/users.d/readonly-users.xml or add it to the restricted list here`).toBe(true);
    }
  });

  // The variable names docker-compose.yml passes to the ClickHouse container.
  it.each([['analyst', 'ANALYST_PASSWORD'], ['grafana', 'GRAFANA_CLICKHOUSE_PASSWORD']])('user %s: read-only profile, role, password from $%s', (user, variable) => {
    const u = block(block(xml, 'users'), user);
    expect(u).toContain(`<password from_env="${variable}"/>`);
    expect(u).not.toMatch(/<password>|<password_sha256_hex>|<no_password/);
    expect(u).toContain('<profile>ine_audit_readonly</profile>');
    expect(u).toContain('<access_management>0</access_management>');
    expect(queries(u)).toEqual(['GRANT ine_audit_reader']);
  });

  it('the profile is readonly=1 and lets only the settings our clients send change', () => {
    const profile = block(block(xml, 'profiles'), 'ine_audit_readonly');
    expect(profile).toMatch(/^\s*<readonly>1<\/readonly>/);
    const constraints = block(profile, 'constraints');
    const changeable = [...constraints.matchAll(/<([a-z_0-9]+)>\s*(?:<max>\d+<\/max>\s*)?<changeable_in_readonly\/>/g)].map((m) => m[1]);
    // Grafana's plugin sets max_execution_time; lib/clickhouse.ts sends the two format settings.
    expect(changeable.sort()).toEqual(['date_time_input_format', 'max_execution_time', 'output_format_json_quote_64bit_integers']);
  });

  it('every grant statement is valid ClickHouse SQL', async () => {
    const client = await testClickHouse();
    for (const q of [...roleGrants, 'GRANT ine_audit_reader']) {
      const res = await client.query({ query: `EXPLAIN AST ${q} TO some_user`, format: 'TabSeparatedRaw' });
      expect((await res.text()).trim(), q).toBe('GrantQuery');
    }
  });
});
