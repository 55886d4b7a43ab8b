import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';
import type { Row } from './runner.js';

/**
 * Chart specs (pure: rows in, vega-lite spec out) and their server-side rendering to SVG through
 * vega with the headless renderer: no canvas, no browser, no network. Every chart labels its values
 * in text marks, so the numbers are readable in the SVG itself and checkable by a test.
 */

const font = 'Helvetica, Arial, sans-serif';
const config = { font, view: { stroke: '#ccc' }, axis: { labelFont: font, titleFont: font, grid: true }, legend: { labelFont: font, titleFont: font, orient: 'bottom' as const, labelLimit: 240 } };
/** Counts are whole numbers: no 0.5 ticks. */
const countAxis = { tickMinStep: 1, format: 'd' };
const width = 640;

function rateOverTime(rows: Row[], field: string, title: string, description: string, color: string): TopLevelSpec {
  const values = rows.map((r) => ({ day: String(r.day), value: r[field] ?? null, label: r[field] === null || r[field] === undefined ? null : Number(r[field]).toFixed(2) }));
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    description,
    width,
    height: 220,
    config,
    data: { values },
    encoding: {
      x: { field: 'day', type: 'temporal', timeUnit: 'utcyearmonthdate', title: 'Day (UTC)', axis: { format: '%Y-%m-%d', labelAngle: -40 } },
      y: { field: 'value', type: 'quantitative', title, scale: { domain: [0, 100] } },
    },
    layer: [
      { mark: { type: 'line', color, point: { color, size: 50 } } },
      { mark: { type: 'text', dy: -10, fontSize: 11, color: '#222' }, encoding: { text: { field: 'label', type: 'nominal' } } },
    ],
  };
}

/** Approval rate per day, from approval-rate-daily rows. */
export const approvalRateChart = (rows: Row[]): TopLevelSpec =>
  rateOverTime(rows, 'approval_rate_pct', 'Approval rate (%)', 'Approval rate per UTC day: approved over conclusive decisions', '#1f6fb2');

/** INE face-match rate per day, from face-match-daily rows. */
export const matchRateChart = (rows: Row[]): TopLevelSpec =>
  rateOverTime(rows, 'match_rate_pct', 'Face-match rate (%)', 'INE face-match rate per UTC day: faceMatch true over completed checks', '#2a8a4a');

const verdicts = [
  { key: 'consented', label: 'consent before check', color: '#2a8a4a' },
  { key: 'missing', label: 'missing', color: '#c0392b' },
  { key: 'refused', label: 'refused', color: '#8e44ad' },
  { key: 'after_check', label: 'after check', color: '#e67e22' },
];

/** Consent verdicts per integration (stacked bars) with the coverage percentage, from consent-coverage rows. */
export function coverageChart(rows: Row[]): TopLevelSpec {
  const values = rows.flatMap((r) => verdicts.map((v, order) => ({ integration: String(r.integration), verdict: v.label, order, sessions: Number(r[v.key] ?? 0) })));
  const labels = rows.map((r) => ({ integration: String(r.integration), total: Number(r.ine_checks ?? 0), label: `${Number(r.coverage_pct).toFixed(2)} %` }));
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    description: 'Consent verdict of INE checks per integration, with consent coverage',
    width,
    height: { step: 28 },
    config,
    layer: [
      {
        data: { values },
        mark: { type: 'bar' },
        encoding: {
          y: { field: 'integration', type: 'nominal', title: 'Integration' },
          x: { field: 'sessions', type: 'quantitative', title: 'Sessions with an INE check', stack: 'zero', axis: countAxis },
          color: { field: 'verdict', type: 'nominal', title: 'Consent', scale: { domain: verdicts.map((v) => v.label), range: verdicts.map((v) => v.color) } },
          order: { field: 'order', type: 'quantitative' },
        },
      },
      {
        data: { values: labels },
        mark: { type: 'text', align: 'left', dx: 4, fontSize: 11, color: '#222' },
        encoding: { y: { field: 'integration', type: 'nominal' }, x: { field: 'total', type: 'quantitative' }, text: { field: 'label', type: 'nominal' } },
      },
    ],
  };
}

/** Face-match percentage buckets, split by the provider's faceMatch answer, from face-match-distribution rows. */
export function distributionChart(rows: Row[]): TopLevelSpec {
  const values = rows.flatMap((r) => {
    const bucket = `${r.bucket_from}–${r.bucket_to}`;
    return [
      { bucket, answer: 'faceMatch true', order: 0, checks: Number(r.face_match_true ?? 0) },
      { bucket, answer: 'faceMatch false', order: 1, checks: Number(r.face_match_false ?? 0) },
    ];
  });
  const labels = rows.map((r) => ({ bucket: `${r.bucket_from}–${r.bucket_to}`, checks: Number(r.checks ?? 0), label: String(r.checks ?? 0) }));
  const bucketOrder = rows.map((r) => `${r.bucket_from}–${r.bucket_to}`);
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    description: 'Completed INE checks by faceMatchPercentage bucket and faceMatch answer',
    width,
    height: 200,
    config,
    layer: [
      {
        data: { values },
        mark: { type: 'bar' },
        encoding: {
          x: { field: 'bucket', type: 'ordinal', title: 'faceMatchPercentage', sort: bucketOrder, axis: { labelAngle: 0 } },
          y: { field: 'checks', type: 'quantitative', title: 'Completed checks', stack: 'zero', axis: countAxis },
          color: { field: 'answer', type: 'nominal', title: 'Provider answer', scale: { domain: ['faceMatch true', 'faceMatch false'], range: ['#2a8a4a', '#c0392b'] } },
          order: { field: 'order', type: 'quantitative' },
        },
      },
      {
        data: { values: labels },
        mark: { type: 'text', dy: -8, fontSize: 11, color: '#222' },
        encoding: { x: { field: 'bucket', type: 'ordinal', sort: bucketOrder }, y: { field: 'checks', type: 'quantitative' }, text: { field: 'label', type: 'nominal' } },
      },
    ],
  };
}

const quiet = vega.logger(vega.None);

/** vega-lite → vega → SVG text, rendered headless in this process. */
export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const compiled = compile(spec, { logger: quiet }).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: 'none', logLevel: vega.None });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}
