import { cellText } from './format.js';
import type { Column, Row } from './runner.js';

/**
 * The evidence report as one self-contained HTML document: inline CSS, inline SVG charts, no script,
 * and a Content-Security-Policy that forbids every fetch, so it opens offline and cannot call home.
 */

export interface ReportChart {
  id: string;
  title: string;
  caption: string;
  svg: string;
}

export interface ReportTable {
  /** The audit query name; also names its CSV and SQL files. */
  id: string;
  title: string;
  description: string;
  columns: Column[];
  rows: Row[];
  /** All the rows the query returned, when `rows` holds only the first of them. */
  total?: number;
  csvPath: string;
  sqlPath: string;
  /** Rows shown in the HTML at most; the CSV always has them all. */
  limit?: number;
}

export interface ReportMetric {
  key: string;
  label: string;
  value: unknown;
  unit?: string;
}

export interface ReportModel {
  title: string;
  period: { from: string; to: string };
  integration: string | null;
  generatedAt: string;
  software: { name: string; version: string };
  store: string;
  metrics: ReportMetric[];
  charts: ReportChart[];
  tables: ReportTable[];
}

export const escapeHtml = (text: string): string =>
  text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');

const css = `
body{font:14px/1.45 Helvetica,Arial,sans-serif;color:#222;margin:2rem auto;max-width:1100px;padding:0 1rem}
h1{font-size:1.6rem;margin-bottom:.2rem}h2{font-size:1.2rem;margin-top:2.2rem;border-bottom:1px solid #ddd;padding-bottom:.2rem}
.meta{color:#555}.meta dt{font-weight:bold;display:inline}.meta dd{display:inline;margin:0 1.2rem 0 .3rem}
#summary{display:grid;grid-template-columns:repeat(auto-fill,minmax(190px,1fr));gap:.6rem;margin:1rem 0}
#summary div{border:1px solid #ddd;border-radius:6px;padding:.5rem .7rem}#summary dt{color:#555;font-size:.85rem}
#summary dd{margin:0;font-size:1.35rem;font-weight:bold}
figure{margin:1rem 0}figcaption{color:#555;font-size:.9rem}figure svg{max-width:100%;height:auto}
div.scroll{overflow-x:auto}table{border-collapse:collapse;font-size:.85rem;margin:.5rem 0;width:100%}
th,td{border:1px solid #ddd;padding:.25rem .45rem;text-align:left;vertical-align:top}th{background:#f4f4f4}
td.num{text-align:right;font-variant-numeric:tabular-nums}td.null{color:#999}
tr.violation-missing td:nth-child(4),tr.violation-refused td:nth-child(4),tr.violation-after_check td:nth-child(4){color:#b00;font-weight:bold}
.files{font-size:.85rem;color:#555}.empty{color:#555;font-style:italic}
@media print{body{margin:0;max-width:none}div.scroll{overflow:visible}h2{page-break-after:avoid}table{page-break-inside:auto}tr{page-break-inside:avoid}}
`;

const numeric = /^(Nullable\()?(U?Int\d+|Float\d+|Decimal)/;

function renderTable(t: ReportTable): string {
  const shown = t.limit !== undefined ? t.rows.slice(0, t.limit) : t.rows;
  const total = t.total ?? t.rows.length;
  const head = t.columns.map((c) => `<th scope="col" title="${escapeHtml(c.type)}">${escapeHtml(c.name)}</th>`).join('');
  const body = shown
    .map((r) => {
      const cls = typeof r.violation === 'string' ? ` class="violation-${escapeHtml(r.violation)}"` : '';
      const cells = t.columns.map((c) => {
        const v = r[c.name];
        const classes = [numeric.test(c.type) ? 'num' : '', v === null || v === undefined ? 'null' : ''].filter(Boolean).join(' ');
        return `<td${classes ? ` class="${classes}"` : ''}>${escapeHtml(cellText(v, 'NULL'))}</td>`;
      });
      return `<tr${cls}>${cells.join('')}</tr>`;
    })
    .join('\n');
  const more = shown.length < total ? `<p class="empty">Showing the first ${shown.length} of ${total} rows; the CSV holds all of them.</p>` : '';
  const table = total === 0
    ? `<p class="empty" data-rows="0">No rows in this period.</p>`
    : `<div class="scroll"><table id="table-${escapeHtml(t.id)}" data-rows="${total}"><thead><tr>${head}</tr></thead><tbody>\n${body}\n</tbody></table></div>${more}`;
  return `<section id="section-${escapeHtml(t.id)}">
<h2>${escapeHtml(t.title)}</h2>
<p>${escapeHtml(t.description)}</p>
${table}
<p class="files">Query <code>${escapeHtml(t.id)}</code> · data: <a href="${escapeHtml(t.csvPath)}">${escapeHtml(t.csvPath)}</a> · SQL: <a href="${escapeHtml(t.sqlPath)}">${escapeHtml(t.sqlPath)}</a> · ${total} row${total === 1 ? '' : 's'}</p>
</section>`;
}

function renderMetric(m: ReportMetric): string {
  const missing = m.value === null || m.value === undefined;
  const unit = m.unit && !missing ? ` ${escapeHtml(m.unit)}` : '';
  return `<div data-metric="${escapeHtml(m.key)}"><dt>${escapeHtml(m.label)}</dt><dd><span class="value">${escapeHtml(missing ? 'n/a' : cellText(m.value, 'n/a'))}</span>${unit}</dd></div>`;
}

const renderChart = (c: ReportChart): string =>
  `<figure id="chart-${escapeHtml(c.id)}" data-chart="${escapeHtml(c.id)}">\n<figcaption><strong>${escapeHtml(c.title)}</strong> — ${escapeHtml(c.caption)}</figcaption>\n${c.svg}\n</figure>`;

export function buildReportHtml(m: ReportModel): string {
  const scope = m.integration === null ? 'all integrations' : `integration ${m.integration}`;
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(m.title)} · ${escapeHtml(m.period.from)} – ${escapeHtml(m.period.to)}</title>
<style>${css}</style>
</head>
<body>
<header>
<h1>${escapeHtml(m.title)}</h1>
<dl class="meta">
<dt>Period</dt><dd id="period-from">${escapeHtml(m.period.from)}</dd><dd>to</dd><dd id="period-to">${escapeHtml(m.period.to)}</dd><dd>(end exclusive, UTC)</dd>
<dt>Scope</dt><dd id="scope">${escapeHtml(scope)}</dd>
<dt>Generated</dt><dd id="generated-at">${escapeHtml(m.generatedAt)}</dd>
<dt>Software</dt><dd id="software">${escapeHtml(m.software.name)} ${escapeHtml(m.software.version)}</dd>
<dt>Store</dt><dd>${escapeHtml(m.store)}</dd>
</dl>
<p class="files">Every figure below comes from the audit queries in <a href="queries/">queries/</a>; their full results are in <a href="data/">data/</a>.
<code>manifest.json</code> lists each file with its SHA-256, and <code>SHA256SUMS</code> seals them all: check with
<code>npm run audit -- verify &lt;this folder&gt;</code> or <code>sha256sum -c SHA256SUMS</code>.</p>
</header>
<main>
<section id="section-summary"><h2>Summary</h2>
<dl id="summary">
${m.metrics.map(renderMetric).join('\n')}
</dl>
</section>
<section id="section-charts"><h2>Charts</h2>
${m.charts.map(renderChart).join('\n')}
</section>
${m.tables.map(renderTable).join('\n')}
</main>
</body>
</html>
`;
}
