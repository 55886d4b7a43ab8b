import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../helpers/processes.js';

const read = (file: string) => readFileSync(join(repoRoot, file), 'utf8');

/** What the image builds and runs agrees with what the build compiles and compose starts. */
describe('the image', () => {
  const dockerfile = read('Dockerfile');
  const stages = dockerfile.split(/^FROM /m).slice(1);

  it('builds and runs on Node 24 LTS', () => {
    expect(stages.map((s) => s.split('\n')[0])).toEqual(['node:24-bookworm-slim AS build', 'node:24-bookworm-slim']);
  });

  it('copies every folder the build compiles into the build stage', () => {
    const compiled = (JSON.parse(read('tsconfig.build.json')) as { include: string[] }).include;
    const copied = [...stages[0]!.matchAll(/^COPY (\S+) \.\/\1$/gm)].map((m) => m[1]);
    expect(compiled.filter((folder) => !copied.includes(folder))).toEqual([]);
  });

  it('starts compiled entry points that exist, in the image and in docker-compose.yml', () => {
    const compose = parse(read('docker-compose.yml'), { merge: true }) as { services: Record<string, { command?: string[]; build?: unknown }> };
    const commands = [JSON.parse(dockerfile.match(/^CMD (.+)$/m)![1]!) as string[], ...Object.values(compose.services).filter((s) => s.build).map((s) => s.command!)];
    for (const command of commands) {
      expect(command[0]).toBe('node');
      const source = command[1]!.replace(/^dist\//, '').replace(/\.js$/, '.ts');
      expect(existsSync(join(repoRoot, source)), source).toBe(true);
    }
    expect(commands.map((c) => c[1])).toEqual(expect.arrayContaining(['dist/cli/ingest.js', 'dist/cli/processor.js', 'dist/cli/migrate.js']));
  });
});
