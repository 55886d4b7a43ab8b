import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { csvReader, parseCsv, toCsv } from '../../audits/format.js';
import { PACK_FORMAT, writePack } from '../../audits/manifest.js';
import { repoRoot } from '../helpers/processes.js';

/*
 * Evidence packs at volume: written and verified as streams, so memory does not grow with the rows.
 * A 30-million-row listing (ten times the face-match cases of the bench's 12-month pack, in small
 * rows) is verified by `verifyPack` in a process of its own under the default heap, and its peak
 * memory is compared with a pack a tenth of its size.
 */
const run = promisify(execFile);

async function* listing(rows: number): AsyncGenerator<string> {
  yield 'session_id,percentage\n';
  const batch = 50_000;
  for (let start = 0; start < rows; start += batch) {
    let text = '';
    for (let i = start; i < Math.min(rows, start + batch); i++) text += `s${i},${i % 101}\n`;
    yield text;
  }
}

async function packOf(rows: number): Promise<string> {
  const dir = join(mkdtempSync(join(tmpdir(), 'ine-audit-pack-')), 'pack');
  const query = { name: 'face-match-cases', title: 'cases', sql: 'queries/face-match-cases.sql', csv: 'data/face-match-cases.csv', params: {}, columns: [{ name: 'session_id', type: 'String' }, { name: 'percentage', type: 'UInt8' }], rows };
  await writePack(dir, [{ path: query.sql, content: 'SELECT 1\n' }, { path: query.csv, content: listing(rows) }], {
    format: PACK_FORMAT, title: 'volume', period: { from: '2025-01-01T00:00:00.000Z', to: '2026-01-01T00:00:00.000Z', toExclusive: true }, integration: null,
    generatedAt: '2026-01-01T00:00:00.000Z', software: { name: 'ine-audit', version: 'test', node: process.version }, source: { store: 'test', clickhouseVersion: 'test' }, queries: [query],
  });
  return dir;
}

/** verifyPack in a child process with Node's default heap; its answer and peak RSS in MB. */
async function verifyInChild(dir: string): Promise<{ ok: boolean; problems: unknown[]; rssMb: number }> {
  const script = join(dir, '..', 'verify.mts');
  writeFileSync(script, `import { verifyPack } from ${JSON.stringify(join(repoRoot, 'audits/manifest.ts'))};\nconst r = await verifyPack(${JSON.stringify(dir)});\nconsole.log(JSON.stringify({ ok: r.ok, problems: r.problems, rssMb: Math.round(process.resourceUsage().maxRSS / 1024) }));\n`);
  const { stdout } = await run(process.execPath, ['--import', 'tsx', script], { cwd: repoRoot, timeout: 300_000 });
  return JSON.parse(stdout.trim().split('\n').pop()!);
}

describe('evidence packs at volume', () => {
  it('reads CSV a chunk at a time exactly as a whole, whatever the chunk boundaries', () => {
    const text = toCsv([{ name: 'a', type: 'String' }, { name: 'b', type: 'String' }], [{ a: 'x,"y"', b: 'line\nbreak' }, { a: '""', b: null }, { a: ' lead', b: 'q"' }]);
    for (let cut = 0; cut <= text.length; cut++) {
      for (const step of [1, 2, 3, 7]) {
        const records: string[][] = [];
        const reader = csvReader((r) => records.push(r));
        reader.push(text.slice(0, cut));
        for (let i = cut; i < text.length; i += step) reader.push(text.slice(i, i + step));
        reader.end();
        expect(records, `cut ${cut} step ${step}`).toEqual(parseCsv(text));
      }
    }
  });

  it('verifies a 30-million-row pack in bounded memory, no more than a tenth of its size needs', { timeout: 600_000 }, async () => {
    const dirs = [await packOf(3_000_000), await packOf(30_000_000)];
    const [small, large] = [await verifyInChild(dirs[0]!), await verifyInChild(dirs[1]!)];
    for (const dir of dirs) rmSync(join(dir, '..'), { recursive: true, force: true });
    console.log(`verify peak RSS: 3 M rows ${small.rssMb} MB, 30 M rows ${large.rssMb} MB`);
    expect(small).toMatchObject({ ok: true, problems: [] });
    expect(large).toMatchObject({ ok: true, problems: [] });
    expect(large.rssMb).toBeLessThan(small.rssMb * 1.3 + 30);
  });
});
