import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeDecision } from '../helpers/fixtures.js';
import { signedPost, type TestIntegration } from '../helpers/http.js';
import { pollUntil } from '../helpers/poll.js';
import { repoRoot, spawnService, type ChildService } from '../helpers/processes.js';

const run = promisify(execFile);

/**
 * What the image runs: `npm run build` output started with plain node (no tsx), on whichever Node
 * runs this suite (CI runs it on Node 20 and on Node 24).
 */
describe(`the compiled JavaScript on Node ${process.versions.node}`, () => {
  const out = mkdtempSync(join(tmpdir(), 'ine-audit-build-'));
  const integration: TestIntegration = { name: 'compiled', apiKey: 'compiled-key', sharedSecret: 'compiled-secret-0123456789' };
  let service: ChildService;

  beforeAll(async () => {
    await run('bash', ['scripts/build.sh', join(out, 'dist')], { cwd: repoRoot, timeout: 180_000 });
    symlinkSync(join(repoRoot, 'node_modules'), join(out, 'node_modules'));
    service = await spawnService(
      { PATH: process.env.PATH ?? '', DATA_DIR: join(out, 'data'), VERIFF_INTEGRATIONS: JSON.stringify([integration]), LOG_LEVEL: 'warn' },
      { entry: join(out, 'dist', 'cli', 'start.js'), loader: 'none' },
    );
  });
  afterAll(async () => service?.kill());

  it('starts, accepts a signed webhook and serves it through the SQL door', async () => {
    const decision = makeDecision('decision-approved-ine-match');
    const res = await signedPost(service.httpUrl, '/webhooks/veriff/decision', decision, integration);
    expect(res.status).toBe(200);
    const rows = await pollUntil(
      () => service.sql<{ session_id: string; ine_face_match_percentage: number }>('SELECT session_id, ine_face_match_percentage FROM ine_audit.decisions_latest'),
      (r) => r.length === 1,
      { what: 'the decision in decisions_latest' },
    );
    expect(rows).toEqual([{ session_id: decision.verification.id, ine_face_match_percentage: decision.verification.additionalVerifiedData.ineBiometricRegistryValidation.faceMatchPercentage }]);
  });

  it('carries the files read at run time', () => {
    expect(JSON.parse(readFileSync(join(out, 'dist', 'package.json'), 'utf8')).name).toBe('ine-audit');
    expect(readFileSync(join(out, 'dist', 'schemas', 'migrations', '0001_raw_payloads.sql'), 'utf8')).toContain('raw_payloads');
  });
});
