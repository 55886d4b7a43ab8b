import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { queryRows } from '../lib/clickhouse.js';
import { usersXml, usersXmlPath } from '../scripts/users-xml.js';
import { testClickHouse } from '../test/helpers/clickhouse.js';
import { objects, roles } from './access.js';

/** Tables that keep bodies, secrets of the pipeline, or who read what. */
const restricted = ['raw_payloads', 'quarantine', 'quarantine_pending', 'sql_access_log'];

describe('roles (schemas/access.ts)', () => {
  it('decide every table and view of the migrated schema for every role, and nothing else', async () => {
    const client = await testClickHouse();
    const tables = (await queryRows<{ name: string }>(client, "SELECT name FROM system.tables WHERE database = 'ine_audit' ORDER BY name")).map((t) => t.name);
    expect(Object.keys(objects).sort()).toEqual(tables);
    for (const [name, decision] of Object.entries(objects)) for (const role of roles) expect(decision[role], `${name} / ${role}`).toBeDefined();
  });

  it('never give analyst or grafana a body, a secret or the access log; grafana sees dead-letter metadata only', () => {
    for (const name of restricted) {
      expect(objects[name]!.analyst, name).toBe('none');
      expect(objects[name]!.grafana, name).toBe('none');
      expect(objects[name]!.operator, name).toBe('read');
    }
    expect(objects.dead_letters!.analyst).toBe('none');
    expect(objects.dead_letters!.grafana).toEqual(['topic', 'partition', 'offset', 'error', 'at']);
  });

  it('grant a materialized view exactly as its target table', async () => {
    const client = await testClickHouse();
    const views = await queryRows<{ name: string; target: string }>(
      client,
      "SELECT name, arrayElement(dependencies_table, 1) AS target FROM system.tables WHERE database = 'ine_audit' AND engine = 'MaterializedView'",
    );
    const targets = await queryRows<{ name: string; to: string }>(client, "SELECT name, extract(create_table_query, 'TO ine_audit\\\\.([a-z_]+)') AS to FROM system.tables WHERE database = 'ine_audit' AND engine = 'MaterializedView'");
    expect(views.length).toBeGreaterThan(0);
    for (const { name, to } of targets) {
      expect(to, name).not.toBe('');
      for (const role of roles) expect(objects[name]![role], `${name} → ${to} / ${role}`).toEqual(objects[to]![role]);
    }
  });

  it('are what the server grants: deploy/clickhouse/users.d is generated from them (npm run users-xml)', () => {
    expect(readFileSync(usersXmlPath, 'utf8')).toBe(usersXml());
    const xml = usersXml();
    for (const role of ['analyst', 'grafana'] as const) {
      const block = new RegExp(`<ine_audit_${role}>\\s*<grants>([\\s\\S]*?)</grants>`).exec(xml)![1]!;
      for (const [name, decision] of Object.entries(objects)) {
        const grant = decision[role];
        if (grant === 'read') expect(block, `${role}: ${name}`).toContain(`<query>GRANT SELECT ON ine_audit.${name}</query>`);
        else if (grant === 'none') expect(block, `${role}: ${name}`).not.toContain(`ine_audit.${name}<`);
        else expect(block, `${role}: ${name}`).toContain(`<query>GRANT SELECT(${grant.join(', ')}) ON ine_audit.${name}</query>`);
      }
    }
    expect(xml).toContain('<query>GRANT SELECT(topic, partition, offset, error, at) ON ine_audit.dead_letters</query>');
    expect(xml).not.toMatch(/GRANT SELECT ON ine_audit\.(raw_payloads|quarantine|quarantine_pending|sql_access_log)</);
  });
});
