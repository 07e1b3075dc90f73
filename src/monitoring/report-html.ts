/**
 * A monitoring report as one self-contained HTML page: inline SVG charts generated from the
 * snapshot, inline CSS, no scripts and no external resources; every text is escaped.
 */
import type { FeatureDistribution, MonitoringReport } from './model-monitor.js';

const ESC: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Escapes text for HTML element content and attribute values. */
export function escapeHtml(s: unknown): string {
  return String(s).replace(/[&<>"']/g, (c) => ESC[c]!);
}

const pct = (x: number | null | undefined) => (x === null || x === undefined || !Number.isFinite(x) ? '–' : `${(100 * x).toFixed(1)} %`);
const num = (x: number | null | undefined) => (x === null || x === undefined || !Number.isFinite(x) ? '–' : String(Number(x.toPrecision(4))));

/** Grouped bars: reference vs current share per bin. */
function barChart(d: FeatureDistribution): string {
  const w = 560;
  const h = 170;
  const n = Math.max(1, d.bins.length);
  const max = Math.max(1e-9, ...d.reference, ...d.current);
  const bw = (w - 40) / n;
  const bars = d.bins
    .map((b, i) => {
      const x = 30 + i * bw;
      const r = ((d.reference[i] ?? 0) / max) * (h - 50);
      const c = ((d.current[i] ?? 0) / max) * (h - 50);
      return (
        `<rect x="${(x + 1).toFixed(1)}" y="${(h - 30 - r).toFixed(1)}" width="${(bw / 2 - 1).toFixed(1)}" height="${r.toFixed(1)}" class="ref"><title>${escapeHtml(b)} reference ${pct(d.reference[i])}</title></rect>` +
        `<rect x="${(x + bw / 2).toFixed(1)}" y="${(h - 30 - c).toFixed(1)}" width="${(bw / 2 - 1).toFixed(1)}" height="${c.toFixed(1)}" class="cur"><title>${escapeHtml(b)} current ${pct(d.current[i])}</title></rect>` +
        (n <= 12 ? `<text x="${(x + bw / 2).toFixed(1)}" y="${h - 14}" text-anchor="middle" class="tick">${escapeHtml(b.length > 14 ? `${b.slice(0, 13)}…` : b)}</text>` : '')
      );
    })
    .join('');
  return `<svg viewBox="0 0 ${w} ${h}" width="${w}" height="${h}" role="img" aria-label="${escapeHtml(d.name)} reference vs current">${bars}<line x1="30" x2="${w - 10}" y1="${h - 30}" y2="${h - 30}" class="axis"/></svg>`;
}

/** Lines over windows: each series a list of values (null = gap), with optional bands. */
function lineChart(labels: string[], series: Array<{ name: string; cls: string; values: Array<number | null>; band?: Array<[number, number] | null> }>, range: [number, number] | null = null): string {
  const w = 720;
  const h = 200;
  const all = series.flatMap((s) => [...s.values, ...(s.band ?? []).flatMap((b) => (b ? b : []))]).filter((v): v is number => v !== null && Number.isFinite(v));
  const lo = range ? range[0] : Math.min(0, ...all);
  const hi = range ? range[1] : Math.max(1e-9, ...all);
  const n = labels.length;
  const x = (i: number) => 40 + (n <= 1 ? (w - 60) / 2 : (i * (w - 60)) / (n - 1));
  const y = (v: number) => h - 30 - ((v - lo) / (hi - lo || 1)) * (h - 50);
  const parts: string[] = [];
  for (const s of series) {
    if (s.band) {
      const pts = s.band.map((b, i) => (b ? `${x(i).toFixed(1)},${y(b[1]).toFixed(1)}` : null)).filter(Boolean);
      const back = s.band.map((b, i) => (b ? `${x(i).toFixed(1)},${y(b[0]).toFixed(1)}` : null)).filter(Boolean).reverse();
      if (pts.length > 1) parts.push(`<polygon points="${[...pts, ...back].join(' ')}" class="band ${s.cls}"/>`);
    }
    let path = '';
    s.values.forEach((v, i) => {
      if (v === null || !Number.isFinite(v)) return;
      path += `${path === '' || s.values[i - 1] === null ? 'M' : 'L'}${x(i).toFixed(1)},${y(v).toFixed(1)} `;
      parts.push(`<circle cx="${x(i).toFixed(1)}" cy="${y(v).toFixed(1)}" r="2.5" class="${s.cls}"><title>${escapeHtml(labels[i])}: ${escapeHtml(s.name)} ${num(v)}</title></circle>`);
    });
    if (path) parts.push(`<path d="${path.trim()}" class="line ${s.cls}"/>`);
  }
  const ticks = [lo, (lo + hi) / 2, hi].map((v) => `<text x="34" y="${(y(v) + 4).toFixed(1)}" text-anchor="end" class="tick">${num(v)}</text>`).join('');
  const every = Math.max(1, Math.ceil(n / 8));
  const xt = labels.map((l, i) => (i % every === 0 ? `<text x="${x(i).toFixed(1)}" y="${h - 12}" text-anchor="middle" class="tick">${escapeHtml(l.slice(0, 10))}</text>` : '')).join('');
  const legend = series.map((s, i) => `<text x="${50 + i * 170}" y="14" class="legend ${s.cls}">■ ${escapeHtml(s.name)}</text>`).join('');
  return `<svg viewBox="0 0 ${w} ${h}" width="${w}" height="${h}" role="img">${legend}${ticks}${xt}<line x1="40" x2="${w - 20}" y1="${h - 30}" y2="${h - 30}" class="axis"/>${parts.join('')}</svg>`;
}

/**
 * Renders the report as self-contained HTML.
 *
 * @example
 * writeFileSync('report.html', renderMonitoringHtml(await ws.monitoring.report({ model: 'support@champion' })));
 */
export function renderMonitoringHtml(r: MonitoringReport): string {
  const labels = r.windows.map((w) => w.start);
  const latest = r.windows.at(-1);
  const featureNames = r.windows.find((w) => w.features)?.features?.map((f) => f.name) ?? [];
  const driftSeries = featureNames.map((name, i) => ({ name, cls: `s${i % 6}`, values: r.windows.map((w) => w.features?.find((f) => f.name === name)?.statistic ?? null) }));
  const perf = lineChart(
    labels,
    [
      { name: 'realized accuracy', cls: 's0', values: r.windows.map((w) => w.performance.realized_accuracy?.value ?? null), band: r.windows.map((w) => (w.performance.realized_accuracy ? [w.performance.realized_accuracy.lower, w.performance.realized_accuracy.upper] : null)) },
      { name: 'estimated accuracy (CBPE)', cls: 's1', values: r.windows.map((w) => w.performance.estimated_accuracy?.value ?? null), band: r.windows.map((w) => (w.performance.estimated_accuracy ? [w.performance.estimated_accuracy.lower, w.performance.estimated_accuracy.upper] : null)) },
    ],
    [0, 1],
  );
  const review = lineChart(labels, [{ name: 'share routed to review', cls: 's2', values: r.windows.map((w) => w.prediction.review_share) }], [0, 1]);
  const drift = driftSeries.length ? lineChart(labels, driftSeries) : '<p>No window had enough predictions for drift tests.</p>';
  const featureRows = r.features
    .map((f) => `<tr class="${f.drift ? 'alarm' : ''}"><td>${escapeHtml(f.name)}</td><td>${escapeHtml(f.test)}</td><td>${num(f.statistic)}</td><td>${f.p_value === null ? '–' : num(f.p_value)}</td><td>${num(f.effect_size)}</td><td>${f.drift ? 'DRIFT' : ''}</td></tr>`)
    .join('');
  const dists = r.distributions
    .map((d) => `<section class="feature"><h3>${escapeHtml(d.name)} <small>${escapeHtml(d.kind)}</small></h3>${barChart(d)}${d.oov ? `<p>Out-of-vocabulary tokens: reference (expected) ${pct(d.oov.reference)}, current ${pct(d.oov.current)}</p>` : ''}</section>`)
    .join('');
  const bias = biasSection(r, labels);
  const windowRows = r.windows
    .map(
      (w) =>
        `<tr><td>${escapeHtml(w.start.slice(0, 16))}</td><td>${w.predictions}</td><td>${w.dataset_drift ? `${w.dataset_drift.drifted}/${w.dataset_drift.total}` : '–'}</td><td>${pct(w.prediction.review_share)}</td><td>${pct(w.performance.realized_accuracy?.value)} <small>(${w.performance.labels} labels)</small></td><td>${pct(w.performance.estimated_accuracy?.value)}</td></tr>`,
    )
    .join('');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Monitoring: ${escapeHtml(r.model)}</title>
<style>
body{font:14px/1.45 system-ui,sans-serif;margin:2rem auto;max-width:900px;color:#1d2430}
h1{font-size:1.5rem}h2{margin-top:2rem;border-bottom:1px solid #ddd}small{color:#667}
table{border-collapse:collapse;width:100%}td,th{padding:.25rem .5rem;border-bottom:1px solid #eee;text-align:left}
tr.alarm td{background:#fde8e8}.kpi{display:flex;gap:1rem;flex-wrap:wrap}.kpi div{border:1px solid #ddd;border-radius:6px;padding:.5rem 1rem}
svg{max-width:100%;height:auto}.axis{stroke:#999}.tick{font-size:10px;fill:#667}.legend{font-size:11px}
.ref{fill:#9aa5b1}.cur{fill:#d9534f}.line{fill:none;stroke-width:2}.band{stroke:none;opacity:.15}
.s0{stroke:#1f77b4;fill:#1f77b4}.s1{stroke:#ff7f0e;fill:#ff7f0e}.s2{stroke:#2ca02c;fill:#2ca02c}.s3{stroke:#9467bd;fill:#9467bd}.s4{stroke:#8c564b;fill:#8c564b}.s5{stroke:#e377c2;fill:#e377c2}
path.line.s0,path.line.s1,path.line.s2,path.line.s3,path.line.s4,path.line.s5{fill:none}
</style></head><body>
<h1>Monitoring report: ${escapeHtml(r.model)}${r.version === null ? '' : escapeHtml(`@${r.version}`)}</h1>
<p>Windows of ${escapeHtml(r.window)}; reference ${escapeHtml(r.reference.kind)} ${escapeHtml(r.reference.ref)} (${r.reference.rows} rows); generated ${escapeHtml(r.generated_at)}.</p>
<div class="kpi">
<div>Latest window<br><b>${escapeHtml(latest?.start.slice(0, 10) ?? '–')}</b> (${latest?.predictions ?? 0} predictions)</div>
<div>Drifted features<br><b>${r.dataset_drift ? `${r.dataset_drift.drifted} of ${r.dataset_drift.total}` : '–'}</b>${r.dataset_drift?.detected ? ' — dataset drift' : ''}</div>
<div>Realized accuracy<br><b>${pct(r.performance.realized_accuracy?.value)}</b> on ${r.performance.labels} labels</div>
<div>Estimated accuracy<br><b>${pct(r.performance.estimated_accuracy?.value)}</b> [${pct(r.performance.estimated_accuracy?.lower)}, ${pct(r.performance.estimated_accuracy?.upper)}]</div>
<div>Review share<br><b>${pct(latest?.prediction.review_share)}</b></div>
</div>
<h2>Performance</h2>${perf}
<p><small>Realized: share right among predictions with ground truth (Wilson 95 % band). Estimated: mean calibrated confidence (CBPE, calibration from ${escapeHtml(r.calibration.source)} on ${r.calibration.n} predictions; Poisson-binomial 95 % band).</small></p>
<h2>Drift statistic per feature</h2>${drift}
<h2>Share routed to review</h2>${review}
<h2>Latest window: features</h2>
<table><thead><tr><th>feature</th><th>test</th><th>statistic</th><th>p-value</th><th>effect</th><th>drift</th></tr></thead><tbody>${featureRows}</tbody></table>
<p><small>Alarms: thresholds calibrated on bootstrap windows of the reference at false-alarm rate ${r.method.false_alarm_rate} per feature, a minimum effect size, Benjamini–Hochberg at ${r.method.fdr}.</small></p>
${bias}
<h2>Reference vs current distributions</h2><p><small><span style="color:#9aa5b1">■</span> reference <span style="color:#d9534f">■</span> current (latest window)</small></p>${dists}
<h2>Windows</h2>
<table><thead><tr><th>start</th><th>predictions</th><th>drifted</th><th>review</th><th>realized</th><th>estimated</th></tr></thead><tbody>${windowRows}</tbody></table>
</body></html>
`;
}

/** Group gaps over time with their simultaneous bounds, and the latest window's groups. */
function biasSection(r: MonitoringReport, labels: string[]): string {
  const attributes = [...new Set(r.windows.flatMap((w) => w.fairness?.attributes.map((a) => a.attribute) ?? []))];
  if (attributes.length === 0) return '';
  const shown = [
    ['auto_share_difference', 'review-share gap'],
    ['demographic_parity_difference', 'selection-rate gap'],
    ['accuracy_difference', 'accuracy gap (labelled)'],
  ] as const;
  const parts = attributes.map((attr) => {
    const gaps = r.windows.map((w) => w.fairness?.attributes.find((a) => a.attribute === attr)?.gaps);
    const chart = lineChart(
      labels,
      shown.map(([key, name], i) => ({
        name,
        cls: `s${i + 2}`,
        values: gaps.map((g) => g?.[key].value ?? null),
        band: gaps.map((g) => (g && g[key].lower !== null && g[key].upper !== null ? [g[key].lower!, g[key].upper!] : null)),
      })),
      [0, 1],
    );
    const latest = r.fairness?.attributes.find((a) => a.attribute === attr);
    const rows = (latest?.groups ?? [])
      .map((g) => `<tr><td>${escapeHtml(g.group)}</td><td>${g.n}</td><td>${pct(g.review_share)}</td><td>${g.selection_rate === null ? '–' : pct(g.selection_rate)}</td><td>${pct(g.accuracy)} <small>(${g.labelled} labels)</small></td></tr>`)
      .join('');
    return `<h3>${escapeHtml(attr)}</h3>${chart}<table><thead><tr><th>group (latest window)</th><th>predictions</th><th>review</th><th>selection</th><th>accuracy</th></tr></thead><tbody>${rows}</tbody></table>`;
  });
  return `<h2>Groups over time</h2><p><small>Gaps between the largest and smallest group rate (fairness definitions); bands are simultaneous ${escapeHtml(String((r.fairness?.level ?? 0.95) * 100))} % bounds, so a band reaching 0 means the window cannot tell the groups apart. Groups under ${r.fairness?.min_group_size ?? 30} rows (labelled rows for accuracy) are not compared.</small></p>${parts.join('')}`;
}
