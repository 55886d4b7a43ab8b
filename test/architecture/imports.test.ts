import { readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { dirname, join, normalize, relative } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../helpers/processes.js';

/**
 * Imports run one way. Each folder may import only the folders listed for it; cli/ (entry points and
 * the composition root) may import every folder and no folder imports cli/. From outside a folder
 * only its top-level modules are imported, never what lies in its subfolders (schemas/ excepted: every
 * file there is a published contract).
 */
const base = ['schemas', 'lib', 'pipeline'];
const allowed: Record<string, string[]> = {
  schemas: [],
  lib: ['schemas'],
  pipeline: ['schemas', 'lib'],
  ingest: base,
  processors: base,
  admin: base,
  sqldoor: base,
  ledger: base,
  audits: [...base, 'ledger'],
  erasure: [...base, 'audits'],
  maintenance: base,
  dashboards: [...base, 'audits'],
  cli: [...base, 'ingest', 'processors', 'admin', 'sqldoor', 'audits', 'maintenance', 'ledger', 'erasure'],
};
const harnesses = new Set(['test', 'bench', 'scripts']);

const sources = execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard', '*.ts'], { cwd: repoRoot, encoding: 'utf8' })
  .split('\n')
  .filter((f) => f && !f.endsWith('.test.ts') && !harnesses.has(f.split('/')[0]!) && f.includes('/'));

/** Every relative import of a file, as the TypeScript compiler reads it (static, dynamic and type-only). */
function importsOf(file: string): string[] {
  const info = ts.preProcessFile(readFileSync(join(repoRoot, file), 'utf8'), true, true);
  return info.importedFiles.map((i) => i.fileName).filter((f) => f.startsWith('.')).map((f) => normalize(join(dirname(file), f)).replace(/\.js$/, '.ts'));
}

describe('import rules', () => {
  it('every source folder has a rule', () => {
    expect([...new Set(sources.map((f) => f.split('/')[0]!))].filter((d) => !(d in allowed))).toEqual([]);
  });

  it('imports run one way, never into cli/ and never into another folder\'s subfolders', () => {
    const broken: string[] = [];
    for (const file of sources) {
      const from = file.split('/')[0]!;
      for (const target of importsOf(file)) {
        const to = relative(repoRoot, join(repoRoot, target)).split('/');
        if (to[0] === from) continue;
        if (!allowed[from]!.includes(to[0]!)) broken.push(`${file} → ${target} (${from} may import ${allowed[from]!.join(', ') || 'nothing'})`);
        else if (to.length > 2 && to[0] !== 'schemas') broken.push(`${file} → ${target} (inside ${to.slice(0, -1).join('/')}/, not one of ${to[0]}'s top-level modules)`);
      }
    }
    expect(broken).toEqual([]);
  });

  it('the rules bite: a lib module importing the composition root would be reported', () => {
    expect(allowed.lib).not.toContain('cli');
    expect(Object.entries(allowed).filter(([from, to]) => from !== 'cli' && to.includes('cli'))).toEqual([]);
  });
});
