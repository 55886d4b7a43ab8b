import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeDecision, loadFixture } from '../helpers/fixtures.js';
import { signedPost } from '../helpers/http.js';
import { startPipeline, type TestPipeline } from '../helpers/pipeline.js';
import { createLogger } from '../../lib/logger.js';

/** Every string leaf of the person, document and technical data: what must never reach a log line. */
function personalValues(decision: any): string[] {
  const out: string[] = [];
  const walk = (v: unknown) => {
    if (typeof v === 'string' && v.length >= 3) out.push(v);
    else if (v && typeof v === 'object') Object.values(v).forEach(walk);
  };
  walk(decision.verification.person);
  walk(decision.verification.document);
  walk(decision.technicalData);
  walk([decision.verification.vendorData, decision.verification.endUserId]);
  // Document codes and the issuer are not personal; short digit runs (house number 123, postcode 00000)
  // also occur in timestamps, so only those of 8+ digits are checked.
  return [...new Set(out)].filter((v) => !['ID_CARD', 'INSTITUTO NACIONAL ELECTORAL', 'primary'].includes(v) && !/^\d{1,7}$/.test(v));
}

describe('privacy', () => {
  const lines: string[] = [];
  const sink = new Writable({ write(chunk, _enc, done) { lines.push(chunk.toString()); done(); } });
  let p: TestPipeline;
  beforeAll(async () => {
    p = await startPipeline('embedded', { logDestination: sink, env: { LOG_LEVEL: 'trace' } });
  });
  afterAll(async () => {
    await p?.stop();
  });

  it('keeps every personal value of a full decision payload out of the logs', async () => {
    const decision = makeDecision('decision-approved-extra-unknown-fields');
    const broken = makeDecision('decision-approved-extra-unknown-fields', { mutate: (d) => (d.verification.code = 'x') });
    expect((await signedPost(p.url, '/webhooks/veriff/decision', decision, p.integration)).body.status).toBe('accepted');
    expect((await signedPost(p.url, '/webhooks/veriff/decision', broken, p.integration)).body.status).toBe('quarantined');
    expect((await signedPost(p.url, '/webhooks/veriff/decision', decision, p.integration, { signature: 'ff'.repeat(32) })).status).toBe(401);

    const text = lines.join('');
    expect(lines.length).toBeGreaterThan(3);
    const values = personalValues(decision);
    expect(values).toEqual(expect.arrayContaining(['CARLOS EVOLUCION', 'FAKE010101HDFXXX10', '2001-01-01', '203.0.113.24', 'cust-000110']));
    for (const value of values) expect(text, value).not.toContain(value);
  });

  it('redacts personal fields even when a payload is logged by mistake', () => {
    const out: string[] = [];
    const log = createLogger('info', new Writable({ write(c, _e, d) { out.push(c.toString()); d(); } }));
    const decision = loadFixture('decision-approved-ine-match');
    log.info({ payload: decision, verification: decision.verification, person: decision.verification.person }, 'oops');
    const text = out.join('');
    for (const value of personalValues(decision)) expect(text, value).not.toContain(value);
    expect(text).toContain('[redacted]');
  });

  it('keeps no direct identifier in the analytics tables', async () => {
    const columns = await p.query<{ table: string; name: string }>(
      "SELECT table, name FROM system.columns WHERE database = 'ine_audit' AND table IN ('decision_rows', 'event_rows', 'consent_rows', 'deliveries')");
    const names = columns.map((c) => c.name);
    for (const forbidden of ['first_name', 'last_name', 'full_name', 'date_of_birth', 'id_number', 'address', 'ip', 'vendor_data', 'end_user_id', 'document_number']) {
      expect(names).not.toContain(forbidden);
    }
    const retention = await p.query<{ create_table_query: string }>("SELECT create_table_query FROM system.tables WHERE database = 'ine_audit' AND name = 'raw_payloads'");
    expect(retention[0]!.create_table_query).toMatch(/TTL toDateTime\(received_at\) \+ toIntervalDay\(90\)/);
  });
});
