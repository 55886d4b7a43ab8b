import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import * as levels from '../schemas/thresholds.js';
import { dashboardsDir } from '../test/dashboards/panels.js';

const readme = readFileSync(join(dashboardsDir, 'README.md'), 'utf8');
const row = (label: string) => readme.split('\n').find((l) => l.startsWith(`| ${label}`)) ?? expect.fail(`no row "${label}"`);
const bold = (line: string) => [...line.matchAll(/\*\*([\d.]+)\*\*/g)].map((m) => Number(m[1]));

describe('dashboards/README.md states the levels of schemas/thresholds.ts', () => {
  it.each([
    ['INE match threshold', [levels.INE_MATCH_THRESHOLD]],
    ['Audit band around it', [levels.auditThresholdParams.ine_band_low, levels.auditThresholdParams.ine_band_high]],
    ['Face-match alert', [levels.FACE_MATCH_ALERT_RATE, levels.FACE_MATCH_ALERT_MIN_CHECKS]],
    ['Provider-failure alert', [levels.PROVIDER_FAILURE_ALERT_RATE, levels.PROVIDER_FAILURE_ALERT_MIN_CHECKS]],
    ['Rejection alert', [levels.REJECTION_ALERT_COUNT]],
    ['INE face-match rate low', [levels.FACE_MATCH_ALERT_RATE, levels.FACE_MATCH_ALERT_MIN_CHECKS]],
    ['INE provider failures spiking', [levels.PROVIDER_FAILURE_ALERT_RATE, levels.PROVIDER_FAILURE_ALERT_MIN_CHECKS]],
    ['Rejected requests spiking', [levels.REJECTION_ALERT_COUNT]],
  ])('%s: %j', (label, values) => {
    expect(bold(row(label))).toEqual(values);
  });

  it('in the prose too: the face-match colour change and the 85 rule', () => {
    expect(readme).toContain(`Red below ${levels.percent(levels.FACE_MATCH_ALERT_RATE)}, the level of the face-match alert`);
    expect(readme).toContain(`"match" below ${levels.INE_MATCH_THRESHOLD}% or "no match" at ${levels.INE_MATCH_THRESHOLD}% or more`);
    expect(readme).toContain(`**faceMatchPercentage distribution (threshold ${levels.INE_MATCH_THRESHOLD})**`);
    // Every other percentage the README gives for the face match is one of the levels.
    const section = readme.slice(readme.indexOf('### INE audit · INE face match'), readme.indexOf('### INE audit · Consent compliance'));
    const figures = [...section.matchAll(/\b(\d+)%/g)].map((m) => Number(m[1]));
    expect(figures.length).toBeGreaterThan(2);
    for (const f of figures) expect([levels.INE_MATCH_THRESHOLD, levels.FACE_MATCH_ALERT_RATE * 100]).toContain(f);
  });
});
