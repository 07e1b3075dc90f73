/** Renders a profile as one self-contained HTML page (no scripts, no external resources). */
import type { DatasetProfile } from './profile.js';

const esc = (v: unknown): string =>
  String(v ?? '–').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

const pct = (x: number): string => `${(x * 100).toFixed(x < 0.01 && x > 0 ? 2 : 1)}%`;

function bar(share: number): string {
  return `<span class="bar"><span style="width:${Math.max(0, Math.min(100, share * 100)).toFixed(1)}%"></span></span>`;
}

/** The HTML report of `p`. */
export function profileHtml(p: DatasetProfile): string {
  const rows = p.columns
    .map((c) => {
      const stats =
        c.mean !== undefined
          ? `min ${esc(c.min)} · mean ${esc(c.mean)} · std ${esc(c.std)} · max ${esc(c.max)}<br><small>${Object.entries(c.quantiles ?? {}).map(([k, v]) => `${k} ${esc(v)}`).join(' · ')}</small>`
          : c.min !== undefined
            ? `${esc(c.min)} … ${esc(c.max)}`
            : '';
      const len = c.textLength ? `<br><small>length ${c.textLength.min}…${c.textLength.max}, mean ${c.textLength.mean}, p50 ${esc(c.textLength.quantiles['p50'])}</small>` : '';
      const top = (c.topValues ?? [])
        .slice(0, 5)
        .map((t) => `${esc(t.value)} <small>(${t.count})</small>`)
        .join(', ');
      const pii = c.pii ? Object.entries(c.pii).map(([k, n]) => `${esc(k)} ${n}`).join(', ') : '';
      return `<tr><td><b>${esc(c.name)}</b><br><small>${esc(c.physicalType)}${c.roles.length ? ` · ${esc(c.roles.join(', '))}` : ''}</small></td><td>${esc(c.type)}</td><td>${pct(c.missingRate)} ${bar(c.missingRate)}<br><small>${c.missing}</small></td><td>${c.distinct}</td><td>${stats}${len}</td><td>${top}</td><td class="${pii ? 'warn' : ''}">${pii}</td></tr>`;
    })
    .join('\n');
  const labels = p.labels
    .map((l) => `<h3>Label <code>${esc(l.column)}</code></h3><table>${l.distribution.map((d) => `<tr><td>${esc(d.value)}</td><td>${d.count}</td><td>${pct(d.share)} ${bar(d.share)}</td></tr>`).join('')}</table>`)
    .join('\n');
  const coverage = p.coverage
    .map(
      (c) =>
        `<h3>${esc(c.label)} by <code>${esc(c.slice)}</code> <small>(${c.flagged} flagged)</small></h3><table><tr><th>slice</th><th>rows</th><th>labels</th><th>flags</th></tr>${c.slices
          .map(
            (s) =>
              `<tr class="${s.tooSmall || s.thinLabels.length ? 'warn' : ''}"><td>${esc(s.value)}</td><td>${s.rows}</td><td>${Object.entries(s.labels).map(([k, n]) => `${esc(k)} ${n}`).join(', ')}</td><td>${[s.tooSmall ? 'too few rows' : '', s.thinLabels.length ? `few examples of ${esc(s.thinLabels.join(', '))}` : ''].filter(Boolean).join('; ')}</td></tr>`,
          )
          .join('')}</table>`,
    )
    .join('\n');
  const near = p.nearDuplicates.map((n) => `<li><code>${esc(n.column)}</code>: ${n.rows} near-duplicate rows (${pct(n.rate)})${n.examples.length ? `, e.g. “${esc(n.examples[0]!.normalized)}” ×${n.examples[0]!.count}` : ''}</li>`).join('');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Profile of ${esc(p.ref)}</title>
<style>
body{font:14px/1.4 system-ui,sans-serif;margin:2rem;color:#222}table{border-collapse:collapse;margin:.5rem 0 1.5rem}
td,th{border-bottom:1px solid #ddd;padding:.3rem .6rem;text-align:left;vertical-align:top}th{background:#f4f4f4}
.bar{display:inline-block;width:80px;height:8px;background:#eee;vertical-align:middle}.bar span{display:block;height:8px;background:#4a7bd0}
.warn{background:#fff4e0}small{color:#666}code{background:#f4f4f4;padding:0 .2rem}
</style></head><body>
<h1>Profile of <code>${esc(p.ref)}</code></h1>
<p>${p.rows} rows · ${p.columns.length} columns · ${p.duplicates.rows} duplicate rows (${pct(p.duplicates.rate)}) · ${p.pii.rowsWithPii} rows with PII</p>
<h2>Columns</h2>
<table><tr><th>column</th><th>type</th><th>missing</th><th>distinct</th><th>statistics</th><th>top values</th><th>PII</th></tr>
${rows}
</table>
${near ? `<h2>Near-duplicates (normalised text)</h2><ul>${near}</ul>` : ''}
${labels ? `<h2>Labels</h2>${labels}` : ''}
${coverage ? `<h2>Label coverage per slice</h2><p><small>Slices with fewer than ${p.options.minSliceRows} rows, or fewer than ${p.options.minLabelRows} examples of a label, are flagged.</small></p>${coverage}` : ''}
</body></html>
`;
}
