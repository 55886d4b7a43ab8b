import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { startServices } from '../cli/services.js';
import { ConfigError, loadConfig, renamedVariables } from './config.js';

describe('config names that say their mode', () => {
  it('reads the new names', () => {
    const c = loadConfig({ KAFKA_FETCH_MAX_WAIT_MS: '50', EMBEDDED_INSERT_DEADLINE_MS: '2500', RETRY_AFTER_SECONDS: '7' });
    expect([c.kafka.fetchMaxWaitMs, c.embedded.insertDeadlineMs, c.retryAfterSeconds, c.deprecations]).toEqual([50, 2500, 7, []]);
  });

  it('keeps the old names working for one release, each with a warning', () => {
    const c = loadConfig({ BATCH_MAX_WAIT_MS: '50', INSERT_RETRY_MAX_MS: '2500', KAFKA_RETRY_AFTER_SECONDS: '7' });
    expect([c.kafka.fetchMaxWaitMs, c.embedded.insertDeadlineMs, c.retryAfterSeconds]).toEqual([50, 2500, 7]);
    expect(c.deprecations).toEqual(Object.entries(renamedVariables).map(([old, now]) => `${old} is now ${now}; the old name stops working in the next release`));
  });

  it('lets the new name win when both are set, and says so', () => {
    const c = loadConfig({ BATCH_MAX_WAIT_MS: '50', KAFKA_FETCH_MAX_WAIT_MS: '80' });
    expect(c.kafka.fetchMaxWaitMs).toBe(80);
    expect(c.deprecations).toEqual(['BATCH_MAX_WAIT_MS is now KAFKA_FETCH_MAX_WAIT_MS (both set: KAFKA_FETCH_MAX_WAIT_MS wins); the old name stops working in the next release']);
  });

  it('validates an old name as strictly as the new one', () => {
    expect(() => loadConfig({ BATCH_MAX_WAIT_MS: 'soon' })).toThrow(ConfigError);
    expect(() => loadConfig({ CLICKHOUSE_CLUSTER: "a'; DROP" })).toThrow(/CLICKHOUSE_CLUSTER/);
  });

  it('a service started with an old name logs the warning', async () => {
    const lines: string[] = [];
    const destination = new Writable({ write: (chunk, _e, done) => void (lines.push(String(chunk)), done()) });
    const env = { DATA_DIR: mkdtempSync(join(tmpdir(), 'ine-audit-config-')), PORT: '0', ADMIN_PORT: '0', CLICKHOUSE_HTTP_PORT: '0', HOST: '127.0.0.1', INSERT_RETRY_MAX_MS: '4000', LOG_LEVEL: 'warn' };
    const services = await startServices({ ingest: true, processor: true }, env, { logDestination: destination });
    await services.stop();
    const warnings = lines.map((l) => JSON.parse(l) as { level: number; msg: string }).filter((l) => l.level === 40);
    expect(warnings.map((w) => w.msg)).toContain('INSERT_RETRY_MAX_MS is now EMBEDDED_INSERT_DEADLINE_MS; the old name stops working in the next release');
    expect(services.config.embedded.insertDeadlineMs).toBe(4000);
  });
});
