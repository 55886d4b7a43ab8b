import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, it, inject } from 'vitest';
import { createClickHouse, queryRows, type ClickHouseClient } from '../../lib/clickhouse.js';
import { lastJson, runCli } from '../helpers/cli.js';
import { decisionFixtureNames, makeConsent, makeDecision } from '../helpers/fixtures.js';

const DECISIONS = 100_000;

describe('npm run import', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ine-audit-import-'));
  const integration = `import-${randomUUID().slice(0, 8)}`;
  const clickhouseUrl = inject('services').clickhouseUrl;
  // Embedded on purpose (no processor runs here), whatever KAFKA_BROKERS the test run has.
  const env: Record<string, string> = { KAFKA_BROKERS: '', DATA_DIR: join(dir, 'data'), PSEUDONYM_PEPPER: 'test-pepper-0123456789abcdef', ...(clickhouseUrl ? { CLICKHOUSE_URL: clickhouseUrl } : {}) };
  let client: ClickHouseClient | null = null;
  afterAll(async () => {
    await client?.close();
  });

  it(`backfills a ${DECISIONS.toLocaleString('en')}-line file and reports accepted, duplicate and rejected`, async () => {
    const lines: string[] = [];
    const sessions: string[] = [];
    for (let i = 0; i < DECISIONS; i++) {
      const d = makeDecision(decisionFixtureNames[i % decisionFixtureNames.length]!);
      sessions.push(d.verification.id);
      lines.push(JSON.stringify(d));
      if (i % 100 === 0) lines.push(JSON.stringify(d)); // 1,000 in-file duplicates
      if (i % 50 === 0) lines.push(JSON.stringify(makeConsent(d.verification.id))); // 2,000 consents
      if (i % 1000 === 0) lines.push('{"verification": {"id": 7}}'); // 100 broken lines
    }
    lines.splice(10, 0, 'not json', '');
    const file = join(dir, 'backfill.ndjson');
    writeFileSync(file, lines.join('\n') + '\n');

    const first = lastJson((await runCli('import', [file, '--integration', integration], env)).stdout).summary;
    expect(first).toMatchObject({ lines: DECISIONS + 1000 + 2000 + 100 + 1, accepted: DECISIONS + 2000, duplicate: 1000, rejected: 101 });

    // Running the same file again accepts nothing new.
    const second = lastJson((await runCli('import', [file, '--integration', integration], env)).stdout).summary;
    expect(second).toMatchObject({ accepted: 0, duplicate: DECISIONS + 2000 + 1000, rejected: 101 });

    client = createClickHouse({ clickhouse: { url: clickhouseUrl ?? undefined, user: undefined, password: undefined }, dataDir: env.DATA_DIR! });
    const [counts] = await queryRows<{ decisions: number; sessions: number; consents: number }>(client, `
      SELECT
        (SELECT count() FROM ine_audit.decisions WHERE integration = {i:String}) AS decisions,
        (SELECT count() FROM ine_audit.decisions_latest WHERE integration = {i:String}) AS sessions,
        (SELECT count() FROM ine_audit.consents WHERE integration = {i:String}) AS consents`, { i: integration });
    expect(counts).toEqual({ decisions: DECISIONS, sessions: DECISIONS, consents: 2000 });
    const matched = sessions[decisionFixtureNames.indexOf('decision-approved-ine-match')];
    const [sample] = await queryRows(client, 'SELECT source, ine_face_match_percentage FROM ine_audit.decisions WHERE session_id = {s:String}', { s: matched });
    expect(sample).toEqual({ source: 'import', ine_face_match_percentage: 89 });
  });
});
