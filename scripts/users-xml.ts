import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defaultLimits, objects, roles, type Grant, type Role } from '../schemas/access.js';

/**
 * deploy/clickhouse/users.d/readonly-users.xml, generated from schemas/access.ts (`npm run users-xml`)
 * so a ClickHouse server grants exactly what the embedded SQL door enforces.
 */

/** Settings our clients send on every query (lib/clickhouse.ts, Grafana's plugin): changeable even in readonly. */
const clientSettings = ['date_time_input_format', 'output_format_json_quote_64bit_integers'];
const limitNames = Object.keys(defaultLimits.analyst) as Array<keyof (typeof defaultLimits)['analyst']>;

const grantQuery = (object: string, grant: Grant) => (Array.isArray(grant) ? `GRANT SELECT(${grant.join(', ')}) ON ine_audit.${object}` : `GRANT SELECT ON ine_audit.${object}`);

function roleXml(role: Role): string {
  const grants = role === 'operator'
    ? ['GRANT SELECT ON ine_audit.*']
    : Object.entries(objects).filter(([, d]) => d[role] !== 'none').map(([name, d]) => grantQuery(name, d[role]));
  return `        <ine_audit_${role}>\n            <grants>\n${grants.map((q) => `                <query>${q}</query>`).join('\n')}\n            </grants>\n        </ine_audit_${role}>`;
}

function profileXml(role: Role): string {
  const limits = defaultLimits[role];
  const values = limitNames.map((n) => `            <${n}>${limits[n]}</${n}>`);
  const constraints = [
    ...limitNames.map((n) => `                <${n}>${limits[n] > 0 ? `<max>${limits[n]}</max>` : ''}<changeable_in_readonly/></${n}>`),
    ...clientSettings.map((n) => `                <${n}><changeable_in_readonly/></${n}>`),
  ];
  return `        <ine_audit_${role}>\n            <readonly>1</readonly>\n${values.join('\n')}\n            <result_overflow_mode>throw</result_overflow_mode>\n            <constraints>\n${constraints.join('\n')}\n            </constraints>\n        </ine_audit_${role}>`;
}

const userXml = (user: 'analyst' | 'grafana', passwordVariable: string) => `        <${user}>
            <password from_env="${passwordVariable}"/>
            <networks>
                <ip>::/0</ip>
            </networks>
            <profile>ine_audit_${user}</profile>
            <quota>default</quota>
            <default_database>ine_audit</default_database>
            <access_management>0</access_management>
            <grants>
                <query>GRANT ine_audit_${user}</query>
            </grants>
        </${user}>`;

export function usersXml(): string {
  return `<?xml version="1.0"?>
<!--
  GENERATED from schemas/access.ts by \`npm run users-xml\`; a test fails when this file differs from it.
  Mount into the server's /etc/clickhouse-server/users.d/ (the file, not the folder). See deploy/clickhouse/README.md.

  Roles (the same grants the embedded SQL door enforces):
    ine_audit_analyst   users analyst (ANALYST_PASSWORD)
    ine_audit_grafana   user grafana (GRAFANA_CLICKHOUSE_PASSWORD), the Grafana data source
    ine_audit_operator  everything in ine_audit; grant it to a named operator account, never to a shared one
  Profiles: readonly=1 with the role's limits; a client may only lower them.
-->
<clickhouse>
    <profiles>
${roles.map(profileXml).join('\n')}
    </profiles>

    <roles>
${roles.map(roleXml).join('\n')}
    </roles>

    <users>
${userXml('analyst', 'ANALYST_PASSWORD')}
${userXml('grafana', 'GRAFANA_CLICKHOUSE_PASSWORD')}
    </users>
</clickhouse>
`;
}

export const usersXmlPath = join(dirname(fileURLToPath(import.meta.url)), '..', 'deploy', 'clickhouse', 'users.d', 'readonly-users.xml');

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  writeFileSync(usersXmlPath, usersXml());
  console.log(`wrote ${usersXmlPath}`);
}
