import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { generatedFiles } from './generate.js';
import { dashboardsDir } from '../test/dashboards/panels.js';

describe('npm run dashboards', () => {
  it.each([...generatedFiles()].map(([path, content]) => [path, content] as const))('dashboards/%s is what the code generates', (path, content) => {
    expect(readFileSync(join(dashboardsDir, path), 'utf8'), 'run `npm run dashboards` and commit the result').toBe(content);
  });
});
