import { readFileSync } from 'node:fs';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient } from '@clickhouse/client';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { verifyPack } from '../../audits/manifest.js';
import { buildEvidencePack, htmlRowLimit } from '../../audits/report.js';
import { queryRows, streamValues } from '../../lib/clickhouse.js';
import { loadConfig } from '../../lib/config.js';
import { createLogger } from '../../lib/logger.js';
import { withLocalSecrets } from '../../lib/local-secrets.js';
import { startDoor, type Door } from '../../sqldoor/door.js';
import { testDataDir } from '../helpers/clickhouse.js';
import { rowsFor, seedRows } from '../helpers/seed.js';
import { auditStore, catalog, decision, namespace } from './support.js';

/*
 * A listing longer than the HTML shows, streamed from the SQL door into its CSV the way
 * `npm run audit -- report` does: every row in the CSV and the manifest, the first rows and the
 * count in the HTML.
 */
const embedded = !inject('services')?.clickhouseUrl;
const sessions = htmlRowLimit + 200;

describe.runIf(embedded)('evidence pack listings', () => {
  let door: Door;
  let integration: string;

  beforeAll(async () => {
    const store = await auditStore();
    const ns = namespace('listing');
    integration = ns.integration();
    // INE checks without any consent record: every session is a consent violation ('missing').
    const items = Array.from({ length: sessions }, (_, i) => ({ kind: 'decision' as const, integration, body: decision('decision-approved-ine-match', ns.session(i), '2025-06-10T10:00:00Z'), receivedAt: '2025-06-10T10:00:01Z' }));
    await seedRows(store.client, rowsFor(items));
    const config = withLocalSecrets(loadConfig({ DATA_DIR: testDataDir() }), { integrations: false });
    door = await startDoor({ config, client: store.client, log: createLogger('silent'), port: 0, announce: false });
  });

  afterAll(async () => {
    await door?.stop();
  });

  it('streams every violation to the CSV and shows the first rows with the count in the HTML', async () => {
    const config = withLocalSecrets(loadConfig({ DATA_DIR: testDataDir() }), { integrations: false });
    const client = createClient({ url: door.url, username: 'analyst', password: config.sqlDoor.passwords.analyst!, database: 'ine_audit' });
    const stream = (query: string, params: Record<string, unknown> = {}) => streamValues(client, query, params);
    const outDir = join(mkdtempSync(join(tmpdir(), 'ine-audit-listing-')), 'pack');
    const pack = await buildEvidencePack({ run: (q, p = {}) => queryRows(client, q, p), stream, catalog, store: 'test' }, { from: '2025-06-01', to: '2025-07-01', integration, outDir });
    await client.close();
    const violations = pack.manifest.queries.find((q) => q.name === 'consent-violations')!;
    expect(violations.rows).toBe(sessions);
    expect(readFileSync(join(outDir, violations.csv), 'utf8').trim().split('\n')).toHaveLength(sessions + 1);
    const html = readFileSync(join(outDir, 'report.html'), 'utf8');
    expect(html).toContain(`Showing the first ${htmlRowLimit} of ${sessions} rows; the CSV holds all of them.`);
    const table = /<table id="table-consent-violations" data-rows="(\d+)">([\s\S]*?)<\/table>/.exec(html)!;
    expect(table[1]).toBe(String(sessions));
    expect(table[2]!.match(/<tr[ >]/g)!.length - 1).toBe(htmlRowLimit);
    expect(pack.results.get('consent-violations')!.total).toBe(sessions);
    expect(await verifyPack(outDir, pack.fingerprint)).toMatchObject({ ok: true, problems: [] });
  });
});
